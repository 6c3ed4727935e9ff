/* Content handler for /mcp: reads the body, lets the core answer on the event loop when no I/O is
 * needed, otherwise on the thread pool; then sends the answer and remembers session state. */
#include "ngx_http_asgard_module.h"


typedef struct {
    asg_mcp_request_t     in;
    asg_mcp_response_t    out;
} ngx_http_asgard_mcp_task_t;


static const char ngx_http_asgard_too_large[] =
    "{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32000,"
    "\"message\":\"Payload Too Large: the request body exceeds asgard_max_body_size\"}}";


static asg_str_t
ngx_http_asgard_header_str(ngx_http_request_t *r, const char *name, size_t len)
{
    asg_str_t   s;
    ngx_str_t  *v;

    v = ngx_http_asgard_find_header(r, name, len);
    s.data = v ? (const char *) v->data : NULL;
    s.len = v ? v->len : 0;

    return s;
}


static ngx_int_t
ngx_http_asgard_mcp_respond(ngx_http_request_t *r, ngx_http_asgard_mcp_task_t *t)
{
    uint8_t                       state;
    ngx_int_t                     rc;
    ngx_msec_t                    ttl;
    int64_t                       left;
    ngx_table_elt_t              *h;
    asg_mcp_response_t           *out;
    ngx_http_asgard_main_conf_t  *amcf;

    out = &t->out;

    if (out->log_line[0] != '\0') {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0, "%s", out->log_line);
    }

    if (out->cache_state != ASG_SESSION_UNKNOWN) {
        amcf = ngx_http_get_module_main_conf(r, ngx_http_asgard_module);
        left = out->cache_until_ms - ngx_http_asgard_now_ms();
        ttl = left > 0 ? (ngx_msec_t) left : 0;
        if (out->cache_state == ASG_SESSION_LIVE && ttl > amcf->cache_ttl) {
            ttl = amcf->cache_ttl;
        }
        state = (uint8_t) out->cache_state;
        ngx_http_asgard_cache_put(amcf->cache_zone, out->cache_key, &state, 1, ttl);
    }

    if (out->session_id[0] != '\0'
        && ngx_http_asgard_add_header(r, "Mcp-Session-Id", out->session_id) == NULL)
    {
        asg_free(out->body);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (out->allow[0] != '\0') {
        h = ngx_http_asgard_add_header(r, "Allow", out->allow);
        if (h == NULL) {
            asg_free(out->body);
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }
    }

    rc = ngx_http_asgard_send(r, out->http_status,
                              out->content_type[0] ? out->content_type : NULL,
                              out->body, out->body_len);
    asg_free(out->body);
    out->body = NULL;

    return rc;
}


static void
ngx_http_asgard_mcp_thread(void *data, ngx_log_t *log)
{
    ngx_http_asgard_mcp_task_t  *t = data;

    t->in.allow_io = 1;
    asg_mcp_handle(&t->in, &t->out);
}


static void
ngx_http_asgard_mcp_done(ngx_http_request_t *r, void *data)
{
    ngx_http_finalize_request(r, ngx_http_asgard_mcp_respond(r, data));
}


static const char ngx_http_asgard_mcp_late[] =
    "{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32000,"
    "\"message\":\"Service Unavailable: Asgard's database did not answer within asgard_io_timeout; "
    "try again shortly\"}}";


static ngx_int_t
ngx_http_asgard_mcp_expired(ngx_http_request_t *r)
{
    return ngx_http_asgard_send(r, NGX_HTTP_SERVICE_UNAVAILABLE, "application/json",
                                ngx_http_asgard_mcp_late, sizeof(ngx_http_asgard_mcp_late) - 1);
}


/* The task came back after its request was answered: what the core made is not needed. */
static void
ngx_http_asgard_mcp_forget(void *data)
{
    ngx_http_asgard_mcp_task_t  *t = data;

    asg_free(t->out.body);
}


static u_char *
ngx_http_asgard_mcp_copy(u_char *p, asg_str_t *s)
{
    u_char  *at = p;

    if (s->data == NULL) {
        return p;
    }

    p = ngx_cpymem(p, s->data, s->len);
    s->data = (const char *) at;

    return p;
}


/* The request's task: a copy of what the core reads, in the task's own memory (the request may
 * be answered, and freed, before the thread is done with it). */
static ngx_int_t
ngx_http_asgard_mcp_post(ngx_http_request_t *r, ngx_http_asgard_mcp_task_t *loop)
{
    u_char                          *p;
    size_t                           size;
    asg_mcp_request_t               *in;
    ngx_http_asgard_mcp_task_t      *t;
    ngx_http_asgard_request_task_t  *task;

    in = &loop->in;
    size = sizeof(ngx_http_asgard_mcp_task_t) + sizeof(asg_principal_t)
           + in->http_method.len + in->body.len + ASG_BODY_PADDING + in->content_type.len
           + in->accept.len + in->protocol_version.len + in->session_id.len + in->mcp_method.len
           + in->mcp_name.len;

    t = ngx_http_asgard_request_task(r, size, ngx_http_asgard_mcp_thread, ngx_http_asgard_mcp_done,
                                     ngx_http_asgard_mcp_expired, ngx_http_asgard_mcp_forget,
                                     &task);
    if (t == NULL) {
        return NGX_ERROR;
    }

    t->in = *in;

    p = (u_char *) (t + 1);
    ngx_memcpy(p, in->principal, sizeof(asg_principal_t));
    t->in.principal = (asg_principal_t *) p;
    p += sizeof(asg_principal_t);

    p = ngx_http_asgard_mcp_copy(p, &t->in.body);
    ngx_memzero(p, ASG_BODY_PADDING);   /* the body's padding, as collect_body leaves it */
    p += ASG_BODY_PADDING;
    p = ngx_http_asgard_mcp_copy(p, &t->in.http_method);
    p = ngx_http_asgard_mcp_copy(p, &t->in.content_type);
    p = ngx_http_asgard_mcp_copy(p, &t->in.accept);
    p = ngx_http_asgard_mcp_copy(p, &t->in.protocol_version);
    p = ngx_http_asgard_mcp_copy(p, &t->in.session_id);
    p = ngx_http_asgard_mcp_copy(p, &t->in.mcp_method);
    (void) ngx_http_asgard_mcp_copy(p, &t->in.mcp_name);

    return ngx_http_asgard_request_task_post(r, task);
}


static void
ngx_http_asgard_mcp_process(ngx_http_request_t *r)
{
    ngx_str_t                     body;
    ngx_http_asgard_ctx_t        *ctx;
    ngx_http_asgard_loc_conf_t   *alcf;
    ngx_http_asgard_main_conf_t  *amcf;
    ngx_http_asgard_mcp_task_t   *t;
    uint8_t                       state;
    u_char                        key[32];

    alcf = ngx_http_get_module_loc_conf(r, ngx_http_asgard_module);
    amcf = ngx_http_get_module_main_conf(r, ngx_http_asgard_module);
    ctx = ngx_http_get_module_ctx(r, ngx_http_asgard_module);

    if (ctx == NULL || ctx->auth_state != NGX_HTTP_ASGARD_AUTH_DONE) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    if (ngx_http_asgard_collect_body(r, &body) != NGX_OK) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    if (body.len > alcf->max_body_size) {
        ngx_http_finalize_request(r, ngx_http_asgard_send(r, NGX_HTTP_REQUEST_ENTITY_TOO_LARGE,
                                  "application/json", ngx_http_asgard_too_large,
                                  sizeof(ngx_http_asgard_too_large) - 1));
        return;
    }

    t = ngx_pcalloc(r->pool, sizeof(ngx_http_asgard_mcp_task_t));
    if (t == NULL) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    t->in.http_method.data = (const char *) r->method_name.data;
    t->in.http_method.len = r->method_name.len;
    t->in.body.data = (const char *) body.data;
    t->in.body.len = body.len;
    t->in.content_type = ngx_http_asgard_header_str(r, "content-type", 12);
    t->in.accept = ngx_http_asgard_header_str(r, "accept", 6);
    t->in.protocol_version = ngx_http_asgard_header_str(r, "mcp-protocol-version", 20);
    t->in.session_id = ngx_http_asgard_header_str(r, "mcp-session-id", 14);
    t->in.mcp_method = ngx_http_asgard_header_str(r, "mcp-method", 10);
    t->in.mcp_name = ngx_http_asgard_header_str(r, "mcp-name", 8);
    t->in.principal = &ctx->principal;
    t->in.now_ms = ngx_http_asgard_now_ms();
    t->in.session_state = ASG_SESSION_UNKNOWN;
    t->in.max_batch = (size_t) alcf->mcp_max_batch;
    t->in.max_response_size = alcf->mcp_max_response_size;

    if (t->in.session_id.len > 0) {
        asg_session_cache_key(t->in.session_id.data, t->in.session_id.len, key);
        if (ngx_http_asgard_cache_get(amcf->cache_zone, key, &state, 1) == NGX_OK) {
            t->in.session_state = state;
        }
    }

    asg_mcp_handle(&t->in, &t->out);

    if (!t->out.needs_io) {
        ngx_http_finalize_request(r, ngx_http_asgard_mcp_respond(r, t));
        return;
    }

    if (ngx_http_asgard_mcp_post(r, t) != NGX_OK) {
        ngx_http_finalize_request(r, NGX_HTTP_SERVICE_UNAVAILABLE);
    }
}


ngx_int_t
ngx_http_asgard_mcp_handler(ngx_http_request_t *r)
{
    return ngx_http_asgard_read_body(r, ngx_http_asgard_mcp_process, ngx_http_asgard_too_large,
                                     sizeof(ngx_http_asgard_too_large) - 1);
}
