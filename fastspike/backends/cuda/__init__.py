"""The CUDA backend: the step program lowered to GPU work items (``lower``), rendered as
``numba.cuda`` kernels over per-dtype arenas (``compiler``), state resident on the device,
a chunk of steps per cooperative launch (``engine``)."""
