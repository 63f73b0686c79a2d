"""CPU backend: the whole step sequence as one ``@njit`` function, run for many steps per call."""
