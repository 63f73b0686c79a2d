"""The CUDA backend: the kernels of ``backends.codegen`` as ``numba.cuda`` kernels, state
resident on the device, launched step by step from the host."""
