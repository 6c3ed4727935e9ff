/* DNS-rebinding and cross-site protection: the Host and Origin checks of every Asgard endpoint. */
#include "ngx_http_asgard_module.h"


static ngx_str_t  ngx_http_asgard_local_hosts[] = {
    ngx_string("localhost"),
    ngx_string("127.0.0.1"),
    ngx_string("[::1]"),
    ngx_null_string
};


static ngx_int_t
ngx_http_asgard_in_list(ngx_array_t *list, ngx_str_t *value)
{
    ngx_uint_t   i;
    ngx_str_t   *item;

    item = list->elts;

    for (i = 0; i < list->nelts; i++) {
        if (item[i].len == 1 && item[i].data[0] == '*') {
            return 1;
        }
        if (item[i].len == value->len
            && ngx_strncasecmp(item[i].data, value->data, value->len) == 0)
        {
            return 1;
        }
    }

    return 0;
}


static ngx_int_t
ngx_http_asgard_is_local_host(ngx_str_t *host)
{
    ngx_str_t  *h;

    for (h = ngx_http_asgard_local_hosts; h->len; h++) {
        if (h->len == host->len && ngx_strncasecmp(h->data, host->data, host->len) == 0) {
            return 1;
        }
    }

    return 0;
}


static ngx_int_t
ngx_http_asgard_is_server_name(ngx_http_request_t *r, ngx_str_t *host)
{
    ngx_uint_t                  i;
    ngx_http_server_name_t     *sn;
    ngx_http_core_srv_conf_t   *cscf;

    cscf = ngx_http_get_module_srv_conf(r, ngx_http_core_module);
    sn = cscf->server_names.elts;

    for (i = 0; i < cscf->server_names.nelts; i++) {
#if (NGX_PCRE)
        if (sn[i].regex) {
            continue;
        }
#endif
        if (sn[i].name.len == host->len
            && ngx_strncasecmp(sn[i].name.data, host->data, host->len) == 0)
        {
            return 1;
        }
    }

    return 0;
}


static ngx_int_t
ngx_http_asgard_host_allowed(ngx_http_request_t *r, ngx_http_asgard_loc_conf_t *alcf,
    ngx_str_t *host)
{
    if (host->len == 0) {
        return 1;
    }

    if (alcf->allowed_hosts != NULL) {
        return ngx_http_asgard_in_list(alcf->allowed_hosts, host);
    }

    return ngx_http_asgard_is_local_host(host) || ngx_http_asgard_is_server_name(r, host);
}


/* "scheme://host[:port]" -> host (brackets kept for IPv6). */
static ngx_int_t
ngx_http_asgard_origin_host(ngx_str_t *origin, ngx_str_t *host)
{
    u_char  *p, *last, *start;

    last = origin->data + origin->len;
    p = ngx_strlcasestrn(origin->data, last, (u_char *) "://", 3 - 1);
    if (p == NULL) {
        return NGX_ERROR;
    }

    start = p + 3;
    p = start;

    if (p < last && *p == '[') {
        while (p < last && *p != ']') {
            p++;
        }
        if (p == last) {
            return NGX_ERROR;
        }
        p++;

    } else {
        while (p < last && *p != ':' && *p != '/') {
            p++;
        }
    }

    host->data = start;
    host->len = p - start;

    return host->len ? NGX_OK : NGX_ERROR;
}


static const char ngx_http_asgard_bad_host[] =
    "{\"error\":\"forbidden_host\",\"error_description\":"
    "\"the Host header names a host this Asgard does not serve\"}";

static const char ngx_http_asgard_bad_origin[] =
    "{\"error\":\"forbidden_origin\",\"error_description\":"
    "\"requests from this Origin are not allowed\"}";


/* NGX_DECLINED when allowed; otherwise the response has been sent and its rc is returned. */
ngx_int_t
ngx_http_asgard_check_origin_and_host(ngx_http_request_t *r, ngx_http_asgard_loc_conf_t *alcf)
{
    ngx_str_t   *origin, host;

    if (!ngx_http_asgard_host_allowed(r, alcf, &r->headers_in.server)) {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "asgard: rejected Host \"%V\"", &r->headers_in.server);
        return ngx_http_asgard_send(r, NGX_HTTP_FORBIDDEN, "application/json",
                                    ngx_http_asgard_bad_host,
                                    sizeof(ngx_http_asgard_bad_host) - 1);
    }

    origin = ngx_http_asgard_find_header(r, "origin", sizeof("origin") - 1);
    if (origin == NULL) {
        return NGX_DECLINED;
    }

    if (alcf->allowed_origins != NULL && ngx_http_asgard_in_list(alcf->allowed_origins, origin)) {
        return NGX_DECLINED;
    }

    if (ngx_http_asgard_origin_host(origin, &host) == NGX_OK
        && (ngx_http_asgard_is_local_host(&host)
            || (host.len == r->headers_in.server.len
                && ngx_strncasecmp(host.data, r->headers_in.server.data, host.len) == 0)))
    {
        return NGX_DECLINED;
    }

    ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                  "asgard: rejected Origin \"%V\"", origin);

    return ngx_http_asgard_send(r, NGX_HTTP_FORBIDDEN, "application/json",
                                ngx_http_asgard_bad_origin,
                                sizeof(ngx_http_asgard_bad_origin) - 1);
}
