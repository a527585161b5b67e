#!/usr/bin/env bash
# Reserves 2 MiB hugepages and binds the dataplane's NICs to vfio-pci.
# Environment (from /etc/sbc/nics.env): SBC_HUGEPAGES (count, default 1024),
# SBC_NICS (space-separated PCI addresses, e.g. "0000:03:00.0 0000:03:00.1").
set -euo pipefail
pages=${SBC_HUGEPAGES:-1024}
echo "$pages" > /sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages
got=$(cat /sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages)
[[ $got -ge $pages ]] || { echo "only $got of $pages hugepages reserved" >&2; exit 1; }
mountpoint -q /dev/hugepages || mount -t hugetlbfs nodev /dev/hugepages
modprobe vfio-pci
for nic in ${SBC_NICS:-}; do
  dpdk-devbind.py --bind=vfio-pci "$nic"
done
