/* Thread-pool tasks that belong to no request (timers, settlements): each owns a small pool,
 * destroyed on the event loop after its completion handler ran. */
#include "ngx_http_asgard_module.h"


typedef struct {
    ngx_pool_t                  *pool;
    ngx_http_asgard_task_done_pt done;
    void                        *data;
} ngx_http_asgard_detached_t;


static void
ngx_http_asgard_detached_done(ngx_event_t *ev)
{
    ngx_http_asgard_detached_t  *d = ev->data;

    if (d->done) {
        d->done(d->data);
    }

    ngx_destroy_pool(d->pool);
}


void *
ngx_http_asgard_detached_task(ngx_cycle_t *cycle, size_t size,
    ngx_http_asgard_task_work_pt work, ngx_http_asgard_task_done_pt done, ngx_thread_task_t **task)
{
    ngx_pool_t                  *pool;
    ngx_thread_task_t           *t;
    ngx_http_asgard_detached_t  *d;

    pool = ngx_create_pool(512 + size, cycle->log);
    if (pool == NULL) {
        return NULL;
    }

    t = ngx_thread_task_alloc(pool, size);
    d = ngx_palloc(pool, sizeof(ngx_http_asgard_detached_t));
    if (t == NULL || d == NULL) {
        ngx_destroy_pool(pool);
        return NULL;
    }

    d->pool = pool;
    d->done = done;
    d->data = t->ctx;

    t->handler = work;
    t->event.handler = ngx_http_asgard_detached_done;
    t->event.data = d;
    t->event.log = cycle->log;

    *task = t;

    return t->ctx;
}


ngx_int_t
ngx_http_asgard_detached_post(ngx_cycle_t *cycle, ngx_thread_task_t *task)
{
    ngx_http_asgard_main_conf_t  *amcf;
    ngx_http_asgard_detached_t   *d = task->event.data;

    amcf = ngx_http_cycle_get_module_main_conf(cycle, ngx_http_asgard_module);

    if (ngx_thread_task_post(amcf->thread_pool, task) != NGX_OK) {
        ngx_destroy_pool(d->pool);
        return NGX_ERROR;
    }

    return NGX_OK;
}
