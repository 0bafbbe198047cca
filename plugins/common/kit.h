/* The connector kit: what the bundled source plugins share (JSON
 * lookups, raw pages, records, times, id sets, paging). Compiled into
 * each plugin module (plugins are loaded RTLD_LOCAL, so each keeps its
 * own copy); not part of the SDK. */
#ifndef PULSE_PLUGINS_KIT_H
#define PULSE_PLUGINS_KIT_H

#include "kit_fmt.h"
#include "kit_ids.h"
#include "kit_page.h"
#include "kit_paging.h"
#include "kit_rec.h"
#include "kit_time.h"
#include "pjson.h"

#endif
