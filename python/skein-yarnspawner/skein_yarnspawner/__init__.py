"""A JupyterHub spawner running each single-user server in a YARN application, through skein.

`c.JupyterHub.spawner_class = "skein_yarnspawner.YarnSpawner"`; the class keeps the name and
the options of jupyterhub-yarnspawner's, so `c.YarnSpawner.*` settings carry over.
"""
from .spawner import YarnSpawner

__all__ = ["YarnSpawner"]
__version__ = "0.1.0"
