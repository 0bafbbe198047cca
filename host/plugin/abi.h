/* abi: size- and version-checked copies of structs a plugin hands us. */
#ifndef PULSE_ABI_H
#define PULSE_ABI_H

#include <stddef.h>
#include <stdint.h>

/* Every boundary struct starts like this. */
struct abi_header {
	uint32_t struct_size;
	uint16_t abi_major;
	uint16_t abi_minor;
};

/*
 * Copy a plugin-owned struct `src` into the host's layout `dst` of
 * `dst_size` bytes, the way Linux copy_struct_from_user does:
 *  - a different ABI major is refused;
 *  - a struct smaller than `min_size` (the required prefix) is refused;
 *  - a smaller struct is zero-extended (absent fields read as defaults);
 *  - a larger struct is accepted only if its unknown tail is all zero.
 * On refusal returns -1 and writes a one-line reason into why.
 */
int abi_copy(void *dst, size_t dst_size, const void *src, size_t min_size,
	     const char *what, char *why, size_t whylen);

#endif
