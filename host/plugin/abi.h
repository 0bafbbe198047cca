/* abi: size- and version-checked copies of structs a plugin hands us. */
#ifndef PULSE_ABI_H
#define PULSE_ABI_H

#include <stddef.h>
#include <stdint.h>

#include <pulse-host/plugin.h>

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

/* The end of a struct's last 1.0 member: the least a 1.x plugin passes. */
#define ABI_END(type, member) \
	(offsetof(type, member) + sizeof(((type *)0)->member))
#define ABI_V1_0_HTTP_REQUEST ABI_END(pulse_http_request, reserved)
#define ABI_V1_0_RAW_PAGE ABI_END(pulse_raw_page, checkpoint_value)
#define ABI_V1_0_CONFIG_FIELD ABI_END(pulse_config_field, description)

/*
 * The per-call gate: every struct a plugin passes to a host service goes
 * through here before the service sees it. Same rules as abi_copy, with
 * the whole 1.0 struct (min_size) required; the reason names the plugin,
 * the struct and what to do. dst always has the host's full layout (and
 * says so: its struct_size is dst_size), so code behind the gate never
 * reads past a plugin's struct.
 */
int abi_gate(const char *plugin, void *dst, size_t dst_size, const void *src,
	     size_t min_size, const char *what, char *why, size_t whylen);

#endif
