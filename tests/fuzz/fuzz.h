/* fuzz: the libFuzzer entry point every target defines (see
 * tests/fuzz/driver.c for the corpus replay that `make check` runs). */
#ifndef PULSE_FUZZ_H
#define PULSE_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif
