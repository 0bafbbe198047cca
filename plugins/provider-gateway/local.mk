# The gateway provider (docs/ai.md): an OpenAI-compatible endpoint. One
# source, two modules: `gateway` (LLM, chat) and `gateway-embed` (embedder);
# docs/abi.md says why. The wire logic is a convenience library so tests
# drive it directly.
noinst_LTLIBRARIES += plugins/provider-gateway/libgateway.la
plugins_provider_gateway_libgateway_la_SOURCES = \
	plugins/provider-gateway/gw.h plugins/provider-gateway/wire.c
plugins_provider_gateway_libgateway_la_CFLAGS = $(PLUGIN_CC_FLAGS) $(JSONC_CFLAGS)
plugins_provider_gateway_libgateway_la_LIBADD = $(JSONC_LIBS) -lm

plugin_LTLIBRARIES += plugins/provider-gateway/gateway.la
plugins_provider_gateway_gateway_la_SOURCES = plugins/provider-gateway/plugin.c
plugins_provider_gateway_gateway_la_CFLAGS = $(PLUGIN_CC_FLAGS) $(JSONC_CFLAGS)
plugins_provider_gateway_gateway_la_LDFLAGS = $(PLUGIN_LD_FLAGS)
plugins_provider_gateway_gateway_la_LIBADD = plugins/provider-gateway/libgateway.la

plugin_LTLIBRARIES += plugins/provider-gateway/gateway-embed.la
plugins_provider_gateway_gateway_embed_la_SOURCES = plugins/provider-gateway/plugin.c
plugins_provider_gateway_gateway_embed_la_CFLAGS = $(PLUGIN_CC_FLAGS) \
	$(JSONC_CFLAGS) -DGW_EMBEDDER
plugins_provider_gateway_gateway_embed_la_LDFLAGS = $(PLUGIN_LD_FLAGS)
plugins_provider_gateway_gateway_embed_la_LIBADD = plugins/provider-gateway/libgateway.la
