"""Functions the tests run inside the Dask scheduler and workers, i.e. in the YARN containers.

The containers cannot import the tests: conftest registers this module with cloudpickle to be
shipped by value.
"""
import os


def environ(names):
    """The values of environment variables `names` (None when unset)."""
    return {name: os.environ.get(name) for name in names}


def process_group():
    """The process group of the calling process: the container's, which the NodeManager
    started with setsid."""
    return os.getpgid(0)
