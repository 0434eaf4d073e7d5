module ascendstack.local/toolchain

go 1.24
