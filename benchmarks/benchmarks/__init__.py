"""fastmlp's asv benchmark suite (see ../asv.conf.json) and the shared workload definitions."""
