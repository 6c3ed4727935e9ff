/* Response filters: x-asgard-request-id on every Asgard answer, the rate-limit headers of a
 * gateway call, and the usage meter that reads token counts from the provider's answer. A stream
 * (SSE) passes through untouched and unbuffered; a non-streamed 2xx answer is held, headers too,
 * until it is whole (as image_filter does), then passed on as it came or, when it is not valid
 * JSON, replaced by Asgard's 502 upstream_malformed. */
#include "ngx_http_asgard_module.h"


static ngx_http_output_header_filter_pt  ngx_http_next_header_filter;
static ngx_http_output_body_filter_pt    ngx_http_next_body_filter;

static ngx_str_t  ngx_http_asgard_request_id_name = ngx_string("asgard_request_id");


static ngx_int_t
ngx_http_asgard_request_id_variable(ngx_http_request_t *r, ngx_http_variable_value_t *v,
    uintptr_t data)
{
    u_char  *p;
    char     id[33];

    p = ngx_pnalloc(r->pool, 32);
    if (p == NULL) {
        return NGX_ERROR;
    }

    asg_request_id(id);
    ngx_memcpy(p, id, 32);

    v->data = p;
    v->len = 32;
    v->valid = 1;
    v->no_cacheable = 0;
    v->not_found = 0;

    return NGX_OK;
}


/* The request's id: made once, kept across internal redirects (error_page) as a cached variable. */
ngx_int_t
ngx_http_asgard_request_id(ngx_http_request_t *r, ngx_str_t *id)
{
    ngx_http_variable_value_t    *v;
    ngx_http_asgard_main_conf_t  *amcf;

    amcf = ngx_http_get_module_main_conf(r, ngx_http_asgard_module);

    v = ngx_http_get_indexed_variable(r->main, amcf->request_id_index);
    if (v == NULL || v->not_found) {
        return NGX_ERROR;
    }

    id->data = v->data;
    id->len = v->len;

    return NGX_OK;
}


/* The rate-limit headers of a call that went on to the provider (the verdict lives in the pool). */
static void
ngx_http_asgard_add_verdict_headers(ngx_http_request_t *r, asg_gateway_verdict_t *verdict)
{
    int  i;

    if (verdict == NULL) {
        return;
    }

    for (i = 0; i < verdict->nheaders; i++) {
        ngx_http_asgard_add_header_ref(r, verdict->header_names[i], verdict->header_values[i],
                                       ngx_strlen(verdict->header_values[i]));
    }
}


static ngx_uint_t
ngx_http_asgard_is_event_stream(ngx_http_request_t *r)
{
    ngx_str_t  *type = &r->headers_out.content_type;

    return type->len >= sizeof("text/event-stream") - 1
           && ngx_strncasecmp(type->data, (u_char *) "text/event-stream",
                              sizeof("text/event-stream") - 1) == 0;
}


static ngx_int_t
ngx_http_asgard_header_filter(ngx_http_request_t *r)
{
    ngx_str_t                     id;
    ngx_http_asgard_ctx_t        *ctx;
    ngx_http_asgard_loc_conf_t   *alcf;
    ngx_http_asgard_main_conf_t  *amcf;

    amcf = ngx_http_get_module_main_conf(r, ngx_http_asgard_module);
    alcf = ngx_http_get_module_loc_conf(r, ngx_http_asgard_module);

    if (amcf == NULL || !amcf->used || r != r->main) {
        return ngx_http_next_header_filter(r);
    }

    if (alcf->mcp || alcf->gateway || alcf->gateway_models
        || (r->variables[amcf->request_id_index].valid))
    {
        if (ngx_http_asgard_request_id(r, &id) == NGX_OK) {
            ngx_http_asgard_add_header_ref(r, "x-asgard-request-id", (const char *) id.data, id.len);
            if (!alcf->mcp) {
                /* the name the openai and Anthropic SDKs show in their errors */
                ngx_http_asgard_add_header_ref(r, "x-request-id", (const char *) id.data, id.len);
                /* ... and the one the Anthropic SDK and Claude Code show */
                ngx_http_asgard_add_header_ref(r, "request-id", (const char *) id.data, id.len);
            }
        }
    }

    ctx = ngx_http_get_module_ctx(r, ngx_http_asgard_module);

    if (ctx == NULL && r->internal) {
        /* error_page answered for the provider (502, 504, 413): the call was still counted, so
         * its rate-limit headers go out with the answer. */
        ctx = ngx_http_asgard_gateway_ctx_after_redirect(r);
        if (ctx != NULL && ctx->gateway_state == NGX_HTTP_ASGARD_GW_PROXYING) {
            ngx_http_asgard_add_verdict_headers(r, ctx->verdict);
        }
        return ngx_http_next_header_filter(r);
    }

    if (ctx == NULL || ctx->call == NULL || ctx->gateway_state != NGX_HTTP_ASGARD_GW_PROXYING
        || r->upstream == NULL)
    {
        return ngx_http_next_header_filter(r);
    }

    ngx_http_asgard_add_verdict_headers(r, ctx->verdict);

    asg_gateway_response_start(ctx->call, (int) r->headers_out.status,
                               (const char *) r->headers_out.content_type.data,
                               r->headers_out.content_type.len);
    ctx->response_started = 1;

    if (r->headers_out.status >= NGX_HTTP_OK
        && r->headers_out.status < NGX_HTTP_SPECIAL_RESPONSE
        && !r->header_only
        && !ngx_http_asgard_is_event_stream(r))
    {
        /* The body filter sends the headers once the answer is whole. */
        ctx->holding = 1;
        ctx->held = NULL;
        ctx->held_last = &ctx->held;
        ctx->held_size = 0;
        return NGX_OK;
    }

    if (r->headers_out.status >= NGX_HTTP_OK
        && r->headers_out.status < NGX_HTTP_SPECIAL_RESPONSE
        && !r->header_only)
    {
        ctx->rewriting = 1;   /* the stream's length changes as it is rewritten */
        ngx_http_clear_content_length(r);
    }

    return ngx_http_next_header_filter(r);
}


/* Passes `in` on; when it holds the answer's last buffer, the gateway call ends first (its row is
 * spooled before the client can have the whole answer). */
static ngx_int_t
ngx_http_asgard_pass_body(ngx_http_request_t *r, ngx_http_asgard_ctx_t *ctx, ngx_chain_t *in)
{
    ngx_chain_t  *cl;

    if (ctx != NULL && ctx->call != NULL) {
        for (cl = in; cl; cl = cl->next) {
            if (cl->buf->last_buf) {
                ngx_http_asgard_gateway_end_call(r, ctx->call);
                break;
            }
        }
    }

    return ngx_http_next_body_filter(r, in);
}


/* Sends the held headers, then what was held and `in` (may be NULL): the answer goes on as it came. */
static ngx_int_t
ngx_http_asgard_release_held(ngx_http_request_t *r, ngx_http_asgard_ctx_t *ctx, ngx_chain_t *in)
{
    ngx_int_t  rc;

    ctx->holding = 0;
    *ctx->held_last = in;

    rc = ngx_http_next_header_filter(r);

    if (rc == NGX_ERROR || rc > NGX_OK || r->header_only) {
        return rc;
    }

    if (ctx->held == NULL) {
        return NGX_OK;
    }

    return ngx_http_asgard_pass_body(r, ctx, ctx->held);
}


/* Replaces the held answer by Asgard's own error (the provider's is dropped). */
static ngx_int_t
ngx_http_asgard_replace_held(ngx_http_request_t *r, ngx_http_asgard_ctx_t *ctx,
    asg_http_error_t *err)
{
    ngx_int_t     rc;
    ngx_buf_t    *b;
    ngx_chain_t   out;

    ctx->holding = 0;

    b = err->body ? ngx_create_temp_buf(r->pool, err->body_len) : NULL;
    if (b == NULL) {
        asg_free(err->body);
        return NGX_ERROR;
    }

    b->last = ngx_cpymem(b->pos, err->body, err->body_len);
    b->last_buf = 1;
    asg_free(err->body);

    r->headers_out.status = err->http_status;
    r->headers_out.status_line.len = 0;
    ngx_str_set(&r->headers_out.content_type, "application/json");
    r->headers_out.content_type_len = r->headers_out.content_type.len;
    r->headers_out.content_type_lowcase = NULL;
    r->headers_out.charset.len = 0;
    ngx_http_clear_content_length(r);
    ngx_http_clear_accept_ranges(r);
    ngx_http_clear_last_modified(r);
    ngx_http_clear_etag(r);
    r->headers_out.content_length_n = b->last - b->pos;

    rc = ngx_http_next_header_filter(r);

    if (rc == NGX_ERROR || rc > NGX_OK || r->header_only) {
        return rc;
    }

    out.buf = b;
    out.next = NULL;

    return ngx_http_asgard_pass_body(r, ctx, &out);
}


/* Copies `in` into the held answer (consuming its buffers, so the upstream reads on); at the last
 * buffer the answer is judged. */
static ngx_int_t
ngx_http_asgard_hold(ngx_http_request_t *r, ngx_http_asgard_ctx_t *ctx, ngx_chain_t *in)
{
    size_t             size;
    ngx_buf_t         *b;
    ngx_uint_t         last;
    ngx_chain_t       *cl, *link;
    asg_http_error_t   err;

    last = 0;

    for (cl = in; cl; cl = cl->next) {
        if (!ngx_buf_in_memory(cl->buf) && ngx_buf_size(cl->buf) > 0) {
            /* Only memory is held (proxy_buffering off): anything else goes on unchecked. */
            return ngx_http_asgard_release_held(r, ctx, cl);
        }
        if (cl->buf->last_buf) {
            last = 1;
        }
    }

    for (cl = in; cl; cl = cl->next) {
        size = cl->buf->last - cl->buf->pos;
        if (size == 0) {
            continue;
        }

        if (ctx->held_size + size > ASG_GATEWAY_MAX_HELD_ANSWER) {
            /* Too long to hold: the rest streams on, unchecked. */
            return ngx_http_asgard_release_held(r, ctx, cl);
        }

        b = ngx_create_temp_buf(r->pool, size);
        link = ngx_alloc_chain_link(r->pool);
        if (b == NULL || link == NULL) {
            return NGX_ERROR;
        }

        b->last = ngx_cpymem(b->pos, cl->buf->pos, size);
        cl->buf->pos = cl->buf->last;

        link->buf = b;
        link->next = NULL;
        *ctx->held_last = link;
        ctx->held_last = &link->next;
        ctx->held_size += size;
    }

    if (!last) {
        return NGX_OK;
    }

    if (asg_gateway_response_end(ctx->call, &err) != 0) {
        return ngx_http_asgard_replace_held(r, ctx, &err);
    }

    b = ngx_calloc_buf(r->pool);
    link = ngx_alloc_chain_link(r->pool);
    if (b == NULL || link == NULL) {
        return NGX_ERROR;
    }

    b->last_buf = 1;
    link->buf = b;
    link->next = NULL;

    return ngx_http_asgard_release_held(r, ctx, link);
}


/* A buffer of the rewritten stream (reused once sent) holding `len` bytes of `data`. */
static ngx_buf_t *
ngx_http_asgard_stream_buf(ngx_http_request_t *r, ngx_http_asgard_ctx_t *ctx, ngx_chain_t **cl,
    const char *data, size_t len)
{
    size_t      size;
    ngx_buf_t  *b;

    *cl = ngx_chain_get_free_buf(r->pool, &ctx->stream_free);
    if (*cl == NULL) {
        return NULL;
    }
    b = (*cl)->buf;

    if (b->start == NULL || (size_t) (b->end - b->start) < len) {
        size = ngx_max(len, 4096);   /* most events fit: the buffer is reused for the next */
        b->start = ngx_palloc(r->pool, size);
        if (b->start == NULL) {
            return NULL;
        }
        b->end = b->start + size;
    }

    b->pos = b->start;
    b->last = ngx_cpymem(b->start, data, len);
    b->temporary = 1;
    b->tag = (ngx_buf_tag_t) &ngx_http_asgard_module;
    b->flush = 0;
    b->sync = 0;
    b->last_buf = 0;
    b->last_in_chain = 0;

    return b;
}


/* Passes a 2xx stream on as the core rewrites it (the alias as "model"; the usage chunk only
 * when the client asked for it). The provider's buffers are consumed; flush and last marks carry
 * over to the rewritten ones. */
static ngx_int_t
ngx_http_asgard_rewrite_stream(ngx_http_request_t *r, ngx_http_asgard_ctx_t *ctx, ngx_chain_t *in)
{
    size_t        out_len;
    ngx_int_t     rc;
    ngx_buf_t    *b, *nb;
    ngx_chain_t  *cl, *link, *out, **ll;
    const char   *data, *out_data;

    out = NULL;
    ll = &out;

    for (cl = in; cl; cl = cl->next) {
        b = cl->buf;

        if (!ngx_buf_in_memory(b) && ngx_buf_size(b) > 0) {
            /* Not in memory (proxy_buffering on): goes on as it is. */
            link = ngx_alloc_chain_link(r->pool);
            if (link == NULL) {
                return NGX_ERROR;
            }
            link->buf = b;
            *ll = link;
            ll = &link->next;
            continue;
        }

        data = ngx_buf_in_memory(b) ? (const char *) b->pos : NULL;
        asg_gateway_response_stream(ctx->call, data, data ? (size_t) (b->last - b->pos) : 0,
                                    b->last_buf, &out_data, &out_len);
        if (ngx_buf_in_memory(b)) {
            b->pos = b->last;
        }

        if (out_len == 0 && !b->flush && !b->last_buf && !b->last_in_chain && !b->sync) {
            continue;
        }

        nb = ngx_http_asgard_stream_buf(r, ctx, &link, out_data, out_len);
        if (nb == NULL) {
            return NGX_ERROR;
        }
        nb->flush = b->flush;
        nb->sync = b->sync || out_len == 0;
        nb->last_buf = b->last_buf;
        nb->last_in_chain = b->last_in_chain;
        if (out_len == 0) {
            nb->temporary = 0;
        }

        *ll = link;
        ll = &link->next;
    }
    *ll = NULL;

    if (out == NULL) {
        return NGX_OK;
    }

    rc = ngx_http_asgard_pass_body(r, ctx, out);

    ngx_chain_update_chains(r->pool, &ctx->stream_free, &ctx->stream_busy, &out,
                            (ngx_buf_tag_t) &ngx_http_asgard_module);

    return rc;
}


static ngx_int_t
ngx_http_asgard_body_filter(ngx_http_request_t *r, ngx_chain_t *in)
{
    ngx_chain_t            *cl;
    ngx_http_asgard_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_asgard_module);

    if (ctx == NULL && r->internal && r == r->main) {
        /* error_page answered for the provider: the call ends as that answer does. */
        for (cl = in; cl; cl = cl->next) {
            if (cl->buf->last_buf) {
                ctx = ngx_http_asgard_gateway_ctx_after_redirect(r);
                return ngx_http_asgard_pass_body(r, ctx, in);
            }
        }
    }

    if (ctx != NULL && ctx->response_started && ctx->call != NULL) {
        if (ctx->rewriting) {
            return ngx_http_asgard_rewrite_stream(r, ctx, in);
        }

        for (cl = in; cl; cl = cl->next) {
            if (ngx_buf_in_memory(cl->buf) && cl->buf->last > cl->buf->pos) {
                asg_gateway_response_data(ctx->call, (const char *) cl->buf->pos,
                                          cl->buf->last - cl->buf->pos);
            }
        }

        if (ctx->holding) {
            return ngx_http_asgard_hold(r, ctx, in);
        }
    }

    return ngx_http_asgard_pass_body(r, ctx, in);
}


ngx_int_t
ngx_http_asgard_usage_filter_init(ngx_conf_t *cf)
{
    ngx_http_variable_t          *var;
    ngx_http_asgard_main_conf_t  *amcf;

    amcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_asgard_module);

    var = ngx_http_add_variable(cf, &ngx_http_asgard_request_id_name, 0);
    if (var == NULL) {
        return NGX_ERROR;
    }
    var->get_handler = ngx_http_asgard_request_id_variable;

    amcf->request_id_index = ngx_http_get_variable_index(cf, &ngx_http_asgard_request_id_name);
    if (amcf->request_id_index == NGX_ERROR) {
        return NGX_ERROR;
    }

    ngx_http_next_header_filter = ngx_http_top_header_filter;
    ngx_http_top_header_filter = ngx_http_asgard_header_filter;

    ngx_http_next_body_filter = ngx_http_top_body_filter;
    ngx_http_top_body_filter = ngx_http_asgard_body_filter;

    return NGX_OK;
}
