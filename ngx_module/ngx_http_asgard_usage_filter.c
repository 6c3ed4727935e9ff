/* Response filters: x-asgard-request-id on every Asgard answer, the rate-limit headers of a
 * gateway call, and the usage meter that reads token counts from the provider's answer (JSON or
 * SSE) while passing every buffer through untouched and unbuffered. */
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

    return ngx_http_next_header_filter(r);
}


static ngx_int_t
ngx_http_asgard_body_filter(ngx_http_request_t *r, ngx_chain_t *in)
{
    ngx_chain_t            *cl;
    ngx_http_asgard_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_asgard_module);

    if (ctx != NULL && ctx->response_started && ctx->call != NULL) {
        for (cl = in; cl; cl = cl->next) {
            if (ngx_buf_in_memory(cl->buf) && cl->buf->last > cl->buf->pos) {
                asg_gateway_response_data(ctx->call, (const char *) cl->buf->pos,
                                          cl->buf->last - cl->buf->pos);
            }
        }
    }

    return ngx_http_next_body_filter(r, in);
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
