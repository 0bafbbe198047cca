/* Every public struct field of ABI 1.x, for the layout freeze. Append only:
 * a new minor adds rows (after its struct's rows, or new structs at the
 * end), never changes existing ones. Rows marked 1.1 are not in 1.0. */
#define ABI_LAYOUT(S, F) \
	S(pulse_config_field) \
	F(pulse_config_field, struct_size) F(pulse_config_field, abi_major) \
	F(pulse_config_field, abi_minor) F(pulse_config_field, name) \
	F(pulse_config_field, type) F(pulse_config_field, required) \
	F(pulse_config_field, default_json) F(pulse_config_field, description) \
	/* 1.1 */ F(pulse_config_field, flags) F(pulse_config_field, reserved) \
	F(pulse_config_field, int_min) F(pulse_config_field, int_max) \
	S(pulse_http_request) \
	F(pulse_http_request, struct_size) F(pulse_http_request, abi_major) \
	F(pulse_http_request, abi_minor) F(pulse_http_request, method) \
	F(pulse_http_request, url) F(pulse_http_request, headers) \
	F(pulse_http_request, body) F(pulse_http_request, body_len) \
	F(pulse_http_request, flags) F(pulse_http_request, auth) \
	F(pulse_http_request, auth_secret) F(pulse_http_request, auth_user) \
	F(pulse_http_request, auth_header) F(pulse_http_request, timeout_ms) \
	F(pulse_http_request, reserved) \
	/* 1.1 */ F(pulse_http_request, content_type) \
	S(pulse_raw_page) \
	F(pulse_raw_page, struct_size) F(pulse_raw_page, abi_major) \
	F(pulse_raw_page, abi_minor) F(pulse_raw_page, entity) \
	F(pulse_raw_page, request_method) F(pulse_raw_page, request_url) \
	F(pulse_raw_page, request_params) F(pulse_raw_page, http_status) \
	F(pulse_raw_page, reserved) F(pulse_raw_page, body) \
	F(pulse_raw_page, body_len) F(pulse_raw_page, checkpoint_key) \
	F(pulse_raw_page, checkpoint_value) \
	/* 1.1 */ F(pulse_raw_page, checkpoint_clear_key) \
	S(pulse_host_api) \
	F(pulse_host_api, struct_size) F(pulse_host_api, abi_major) \
	F(pulse_host_api, abi_minor) F(pulse_host_api, log) \
	F(pulse_host_api, free) F(pulse_host_api, config_string) \
	F(pulse_host_api, config_int) F(pulse_host_api, config_bool) \
	F(pulse_host_api, config_list_count) F(pulse_host_api, config_list_item) \
	F(pulse_host_api, secret_get) F(pulse_host_api, http) \
	F(pulse_host_api, http_status) F(pulse_host_api, http_body) \
	F(pulse_host_api, http_header) F(pulse_host_api, http_release) \
	F(pulse_host_api, wait_until) F(pulse_host_api, rate_budget) \
	F(pulse_host_api, raw_store) F(pulse_host_api, state_get) \
	F(pulse_host_api, state_set) F(pulse_host_api, progress) \
	F(pulse_host_api, cancelled) F(pulse_host_api, fail) \
	F(pulse_host_api, record_begin) F(pulse_host_api, record_str) \
	F(pulse_host_api, record_int) F(pulse_host_api, record_float) \
	F(pulse_host_api, record_bool) F(pulse_host_api, record_time) \
	F(pulse_host_api, record_json) F(pulse_host_api, record_end) \
	F(pulse_host_api, record_abort) F(pulse_host_api, record_delete) \
	/* 1.1 */ F(pulse_host_api, state_delete) F(pulse_host_api, job_log) \
	/* 1.3 */ F(pulse_host_api, oauth2_http) \
	S(pulse_source_ops) \
	F(pulse_source_ops, struct_size) F(pulse_source_ops, abi_major) \
	F(pulse_source_ops, abi_minor) F(pulse_source_ops, extract) \
	F(pulse_source_ops, transform) F(pulse_source_ops, validate) \
	S(pulse_plugin_info) \
	F(pulse_plugin_info, struct_size) F(pulse_plugin_info, abi_major) \
	F(pulse_plugin_info, abi_minor) F(pulse_plugin_info, kind) \
	F(pulse_plugin_info, reserved) F(pulse_plugin_info, name) \
	F(pulse_plugin_info, version) F(pulse_plugin_info, ops) \
	F(pulse_plugin_info, description) F(pulse_plugin_info, config_fields) \
	F(pulse_plugin_info, init) F(pulse_plugin_info, fini) \
	/* 1.1: provider kinds */ \
	HDR(S, F, pulse_usage) \
	F(pulse_usage, prompt_tokens) F(pulse_usage, completion_tokens) \
	F(pulse_usage, total_tokens) F(pulse_usage, retry_after_ms) \
	F(pulse_usage, reserved) \
	HDR(S, F, pulse_embed_info) \
	F(pulse_embed_info, model) F(pulse_embed_info, dimension) \
	F(pulse_embed_info, max_tokens) F(pulse_embed_info, preferred_batch) \
	F(pulse_embed_info, flags) \
	HDR(S, F, pulse_embedder_ops) \
	F(pulse_embedder_ops, flags) F(pulse_embedder_ops, reserved) \
	F(pulse_embedder_ops, open) F(pulse_embedder_ops, close) \
	F(pulse_embedder_ops, info) F(pulse_embedder_ops, embed) \
	HDR(S, F, pulse_chat_message) \
	F(pulse_chat_message, role) F(pulse_chat_message, content) \
	HDR(S, F, pulse_chat_request) \
	F(pulse_chat_request, model) F(pulse_chat_request, messages) \
	F(pulse_chat_request, n_messages) F(pulse_chat_request, max_tokens) \
	F(pulse_chat_request, temperature_milli) F(pulse_chat_request, flags) \
	F(pulse_chat_request, timeout_ms) F(pulse_chat_request, reserved) \
	F(pulse_chat_request, json_schema) \
	F(pulse_chat_request, json_schema_name) \
	F(pulse_chat_request, json_schema_strict) \
	F(pulse_chat_request, reserved2) \
	HDR(S, F, pulse_chat_result) \
	F(pulse_chat_result, text) F(pulse_chat_result, text_len) \
	F(pulse_chat_result, model) F(pulse_chat_result, finish) \
	F(pulse_chat_result, reserved) F(pulse_chat_result, usage) \
	HDR(S, F, pulse_llm_ops) \
	F(pulse_llm_ops, flags) F(pulse_llm_ops, reserved) \
	F(pulse_llm_ops, open) F(pulse_llm_ops, close) F(pulse_llm_ops, chat) \
	HDR(S, F, pulse_vector_point) \
	F(pulse_vector_point, id) F(pulse_vector_point, vector) \
	F(pulse_vector_point, dim) F(pulse_vector_point, reserved) \
	F(pulse_vector_point, payload_json) \
	HDR(S, F, pulse_vector_hits) \
	F(pulse_vector_hits, n) F(pulse_vector_hits, reserved) \
	F(pulse_vector_hits, ids) F(pulse_vector_hits, scores) \
	F(pulse_vector_hits, payloads) \
	HDR(S, F, pulse_vector_store_ops) \
	F(pulse_vector_store_ops, flags) F(pulse_vector_store_ops, reserved) \
	F(pulse_vector_store_ops, open) F(pulse_vector_store_ops, close) \
	F(pulse_vector_store_ops, ensure_collection) \
	F(pulse_vector_store_ops, upsert) F(pulse_vector_store_ops, remove) \
	F(pulse_vector_store_ops, query) \
	/* 1.4 */ F(pulse_vector_store_ops, scroll) \
	/* 1.3 */ HDR(S, F, pulse_oauth2_client) \
	F(pulse_oauth2_client, authority) F(pulse_oauth2_client, tenant) \
	F(pulse_oauth2_client, client_id) F(pulse_oauth2_client, secret_key) \
	F(pulse_oauth2_client, scope) \
	/* 1.4 */ HDR(S, F, pulse_vector_page) \
	F(pulse_vector_page, n) F(pulse_vector_page, dim) \
	F(pulse_vector_page, ids) F(pulse_vector_page, vectors) \
	F(pulse_vector_page, payloads) F(pulse_vector_page, next_offset)

/* A struct's sizeof row and its common header rows. */
#define HDR(S, F, t) S(t) F(t, struct_size) F(t, abi_major) F(t, abi_minor)
