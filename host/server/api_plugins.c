/* api_plugins: GET /api/v1/plugins, the loaded plugins with their
 * declared config fields, so the console draws an integration's form
 * from them (issue 19, docs/console.md). Declarations only: no
 * integration's settings, and no default of a secret field. */
#include "config.h"

#include <string.h>

#include "plugin/loader.h"
#include "server/api_int.h"

static json_object *field_json(const pulse_config_field *f)
{
	json_object *o = json_object_new_object(), *def = NULL;
	int secret = f->type == PULSE_CFG_SECRET ||
		     f->type == PULSE_CFG_SECRET_LIST;

	json_object_object_add(o, "name", json_object_new_string(f->name));
	json_object_object_add(o, "type",
			       json_object_new_string(loader_field_type_name(f->type)));
	json_object_object_add(o, "required", json_object_new_boolean(f->required != 0));
	json_object_object_add(o, "secret", json_object_new_boolean(secret));
	/* the default as JSON (the loader checked it parses); never a
	 * secret's, even a declared one */
	if (!secret && f->default_json)
		def = json_tokener_parse(f->default_json);
	json_object_object_add(o, "default", def);
	json_object_object_add(o, "help", f->description ?
			       json_object_new_string(f->description) : NULL);
	if (f->type == PULSE_CFG_INT && (f->flags & PULSE_CFG_HAS_MIN))
		json_object_object_add(o, "min", json_object_new_int64(f->int_min));
	if (f->type == PULSE_CFG_INT && (f->flags & PULSE_CFG_HAS_MAX))
		json_object_object_add(o, "max", json_object_new_int64(f->int_max));
	return o;
}

void api_plugins_list(struct call *c)
{
	json_object *arr = json_object_new_array(), *o;
	struct loader *ld = c->a->ld;
	size_t i, k;

	for (i = 0; ld && i < ld->n; i++) {
		const struct plugin *p = ld->v[i];
		json_object *fields = json_object_new_array();

		if (p->status != PLUGIN_LOADED)
			continue; /* refusals: `pulse-host plugins` shows why */
		o = json_object_new_object();
		json_object_object_add(o, "name", json_object_new_string(p->name));
		json_object_object_add(o, "kind",
				       json_object_new_string(loader_kind_name(p->kind)));
		json_object_object_add(o, "version", p->version ?
				       json_object_new_string(p->version) : NULL);
		json_object_object_add(o, "description", p->description ?
				       json_object_new_string(p->description) : NULL);
		for (k = 0; k < p->nfields; k++)
			json_object_array_add(fields, field_json(&p->fields[k]));
		json_object_object_add(o, "fields", fields);
		json_object_array_add(arr, o);
	}
	o = json_object_new_object();
	json_object_object_add(o, "plugins", arr);
	api_reply_json(c->rs, 200, o);
	json_object_put(o);
}
