"""dlbox hub: the locked environment for a class or team on one machine, served by JupyterHub with
DockerSpawner and configurable-http-proxy, which dlbox configures, starts and supervises."""
