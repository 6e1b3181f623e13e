"""The driver of master-script.yaml: starts two workers and waits until both finished."""
import time

import skein

app = skein.ApplicationClient.from_current()
app.scale("worker", 2)
while len(app.get_containers(services=["worker"], states=["SUCCEEDED"])) < 2:
    time.sleep(1)
print("both workers finished")
