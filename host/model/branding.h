/* branding: a tenant's console look (issue 19): display name and accent
 * colour, table tenant_branding (099). */
#ifndef PULSE_BRANDING_H
#define PULSE_BRANDING_H

#include <stddef.h>
#include <stdint.h>

#include <libpq-fe.h>

struct json_object;

/* Is s a colour "#rrggbb" (hex digits, either case)? Writes the
 * lower-case form into out (8 bytes). 1 or 0. */
int branding_color_ok(const char *s, char out[8]);

/* Set the given fields (NULL = leave as is; "" = back to the default)
 * in their own transaction. 0, or -1 with err. */
int branding_set(PGconn *c, int64_t tenant, const char *display_name,
		 const char *color, char *err, size_t errlen);

/* {"tenant":ID,"name":N,"display_name":D|null,"brand_color":C|null}
 * (new object, caller json_object_put()s), or NULL with err. */
struct json_object *branding_get(PGconn *c, int64_t tenant, char *err,
				 size_t errlen);

#endif
