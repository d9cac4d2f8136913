"""pytest, from the project root: nbval's kernels use Unix sockets, never TCP ports.

Several kernels starting at once race for TCP ports (see src/tashkent_report/kernels.py);
nbval has no option for the transport, so its kernel manager class is swapped here.
"""

import nbval.kernel

from tashkent_report.kernels import IPCKernelManager

nbval.kernel.KernelManager = IPCKernelManager
