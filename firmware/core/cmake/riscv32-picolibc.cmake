# Toolchain: the ESP32-C3 instruction set (rv32imc) with Debian's riscv64-unknown-elf-gcc and picolibc.
# Objects are built for rv32imc; executables link picolibc's rv32imac multilib (Debian ships no rv32imc
# one; rv32imc code runs on it) with semihosting, and run under QEMU's `virt` machine, whose RAM starts
# at 0x80000000. The test's exit code comes back through semihosting.
set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_SYSTEM_PROCESSOR riscv32)
set(CMAKE_C_COMPILER riscv64-unknown-elf-gcc)
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)

set(CMAKE_C_FLAGS_INIT "-march=rv32imc -mabi=ilp32 --specs=picolibc.specs -Os -ffunction-sections -fdata-sections")
set(CMAKE_EXE_LINKER_FLAGS_INIT
    "-march=rv32imac -mabi=ilp32 --oslib=semihost --crt0=semihost -Wl,--gc-sections \
-Wl,--defsym=__flash=0x80000000 -Wl,--defsym=__flash_size=0x400000 \
-Wl,--defsym=__ram=0x80400000 -Wl,--defsym=__ram_size=0x400000 -Wl,--defsym=__stack_size=0x10000")

set(CW_BAREMETAL ON CACHE BOOL "" FORCE)
set(CW_SANITIZE OFF CACHE BOOL "" FORCE)
set(CMAKE_CROSSCOMPILING_EMULATOR
    qemu-system-riscv32;-M;virt;-nographic;-bios;none;-serial;none;-monitor;none;-semihosting-config;enable=on,target=native;-kernel)
