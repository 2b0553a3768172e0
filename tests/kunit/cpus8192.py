# SPDX-License-Identifier: GPL-2.0
# kunit.py qemu_config: the module's suites at 8192 possible CPUs.
#
#   tools/testing/kunit/kunit.py exec --build_dir=<kernel build> \
#       --qemu_config=tests/kunit/cpus8192.py
#
# scripts/kunit (make kunit) writes the initrd first: an ACPI MADT override
# with 8192 CPUs (see scripts/madt), busybox, the module, and a guest script
# that loads it, which runs its suites, and unloads it. Set SCX_KUNIT_INITRD
# to use another initrd.
#
# qemu_arch 'x86_64-tcg' runs tests/kunit/bin/qemu-system-x86_64-tcg, which
# must be on PATH: kunit.py asks for KVM first, and QEMU would take this
# host's KVM, which cannot run the guest.
import os

from ..qemu_config import QemuArchParams

_TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
_INITRD = os.environ.get('SCX_KUNIT_INITRD', os.path.join(_TOP, 'results', 'kunit', 'initrd.cpio'))

QEMU_ARCH = QemuArchParams(
	linux_arch='x86_64',
	kconfig='''
CONFIG_SERIAL_8250=y
CONFIG_SERIAL_8250_CONSOLE=y''',
	qemu_arch='x86_64-tcg',
	kernel_path='arch/x86/boot/bzImage',
	# loglevel=5 keeps the built-in executor's empty "1..0" plan, an info
	# message, off the console: kunit.py would stop at it. The guest raises
	# the level again before loading the module. kunit_shutdown=none: the
	# suites run when /init loads the module, after the built-in executor,
	# which would otherwise reboot first; the guest powers off when done.
	kernel_command_line='console=ttyS0,115200 rdinit=/init panic=-1 maxcpus=2 '
			    'log_buf_len=1M swiotlb=2048,1 loglevel=5 kunit_shutdown=none',
	# SeaBIOS hands over in x2APIC mode only with more than 255 possible
	# vCPUs, and the IOMMU with interrupt remapping keeps the kernel there,
	# so that it accepts the x2APIC entries of the MADT override.
	extra_qemu_params=['-machine', 'q35,smm=off', '-cpu', 'max,la57=off',
			   '-smp', '2,maxcpus=256', '-m', '7G',
			   '-device', 'intel-iommu,intremap=on,eim=on',
			   '-initrd', _INITRD])
