/* abi: the one place that decides whether a plugin struct is compatible. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <pulse-host/plugin.h>

#include "plugin/abi.h"

int abi_copy(void *dst, size_t dst_size, const void *src, size_t min_size,
	     const char *what, char *why, size_t whylen)
{
	struct abi_header h;
	const unsigned char *tail;
	size_t i;

	if (!src) {
		snprintf(why, whylen, "%s is NULL", what);
		return -1;
	}
	memcpy(&h, src, sizeof(h));
	if (h.abi_major != PULSE_ABI_MAJOR) {
		snprintf(why, whylen,
			 "%s was built for ABI %u.%u but this host speaks ABI %u.%u; "
			 "rebuild the plugin against pulse-host-plugin %u",
			 what, h.abi_major, h.abi_minor, PULSE_ABI_MAJOR,
			 PULSE_ABI_MINOR, PULSE_ABI_MAJOR);
		return -1;
	}
	if (h.struct_size < min_size) {
		snprintf(why, whylen,
			 "%s has struct_size %u, smaller than the %zu bytes every "
			 "ABI %u.x plugin must provide; the plugin is corrupt or "
			 "was not built with PULSE_STRUCT_INIT",
			 what, h.struct_size, min_size, PULSE_ABI_MAJOR);
		return -1;
	}
	if (h.struct_size > dst_size) {
		tail = (const unsigned char *)src + dst_size;
		for (i = 0; i < h.struct_size - dst_size; i++) {
			if (tail[i]) {
				snprintf(why, whylen,
					 "%s (ABI %u.%u, %u bytes) sets fields this "
					 "host (ABI %u.%u, %zu bytes) does not know; "
					 "upgrade pulse-host or build the plugin "
					 "against an older SDK",
					 what, h.abi_major, h.abi_minor,
					 h.struct_size, PULSE_ABI_MAJOR,
					 PULSE_ABI_MINOR, dst_size);
				return -1;
			}
		}
	}
	memset(dst, 0, dst_size);
	memcpy(dst, src, h.struct_size < dst_size ? h.struct_size : dst_size);
	return 0;
}

int abi_gate(const char *plugin, void *dst, size_t dst_size, const void *src,
	     size_t min_size, const char *what, char *why, size_t whylen)
{
	char inner[512];

	if (abi_copy(dst, dst_size, src, min_size, what, inner,
		     sizeof(inner)) == 0) {
		/* dst is now whole: say so to whatever checks sizes behind us. */
		((struct abi_header *)dst)->struct_size = (uint32_t)dst_size;
		return 0;
	}
	snprintf(why, whylen, "plugin '%s' passed a bad %s: %s",
		 plugin ? plugin : "?", what, inner);
	return -1;
}
