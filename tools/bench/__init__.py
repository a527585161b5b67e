"""Benchmark programs that drive the lab (tools/lab): `python3 -m bench.sip_load` from tools/.

The C++ benchmarks next to this package (sbc_bench.cc, sip_bench.cc) are built by meson; this
package needs no build beyond sbcd, sbc-dataplane and sbc-cli.
"""
