"""NVIDIA GPUs on the host: the driver (nvidia-smi), the CUDA lines and which one a machine gets,
and the CDI spec dlbox writes for machines without the NVIDIA Container Toolkit."""
