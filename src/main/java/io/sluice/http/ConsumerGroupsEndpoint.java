package io.sluice.http;

import io.sluice.api.RequestContext;

import io.sluice.api.ConsumerService;
import io.vertx.core.Handler;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

/**
 * Group administration.
 *
 * <pre>
 * GET  /consumer-groups                    -> [{"group_id", "state"}]
 * GET  /consumer-groups/{group}            -> {"group_id", "state", "generation", "assignor",
 *                                              "members": [{"member_id", "instance_id", "group_instance_id",
 *                                                           "partitions": [...]}]}
 * DELETE /consumer-groups/{group}/members/{group_instance_id}
 *                                          -> 204; the static member is removed and the group rebalances (Kafka's
 *                                             removeMembersFromConsumerGroup; 409 UNKNOWN_MEMBER_ID if none holds it)
 * GET  /consumer-groups/{group}/lags       -> [{"topic", "partition", "committed_offset", "next_offset", "log_end_offset", "lag"}]
 * POST /consumer-groups/{group}/offsets/reset
 *      {"to": "earliest"|"latest"|"offset"|"timestamp", "offset", "timestamp", "topics", "dry_run"}
 *                                          -> [{"topic", "partition", "current_offset", "new_offset",
 *                                               "records_skipped", "records_replayed"}]   (409 NON_EMPTY_GROUP)
 * POST /consumer-groups/{group}/offsets/delete
 *      {"topics"} | {"partitions": [{"topic", "partition"}]} | {"all": true}
 *                                          -> [{"topic", "partition", "next_offset" (the commit deleted, or null)}]
 *                                             (409 GROUP_SUBSCRIBED_TO_TOPIC, nothing deleted)
 * DELETE /consumer-groups/{group}         -> 204; the group and all its commits are gone (Kafka's DeleteGroups)
 *                                             (409 NON_EMPTY_GROUP while it has members or consumer instances,
 *                                              404 GROUP_ID_NOT_FOUND)
 * </pre>
 *
 * Offsets here are Kafka's committed offsets: the next offset the group reads.
 */
final class ConsumerGroupsEndpoint {
  private final ConsumerService consumers;

  ConsumerGroupsEndpoint(ConsumerService consumers) {
    this.consumers = consumers;
  }

  void mount(Router router, Handler<RoutingContext> body) {
    router.get("/consumer-groups").handler(ctx -> consumers.listGroups(Callers.of(ctx))
        .onSuccess(a -> Replies.json(ctx, 200, a)).onFailure(ctx::fail));
    router.get("/consumer-groups/:group").handler(ctx -> consumers.describeGroup(Callers.of(ctx), ctx.pathParam("group"))
        .onSuccess(a -> Replies.json(ctx, 200, a)).onFailure(ctx::fail));
    router.delete("/consumer-groups/:group").handler(ctx -> consumers.deleteGroup(Callers.of(ctx),
        ctx.pathParam("group")).onSuccess(v -> Replies.noContent(ctx)).onFailure(ctx::fail));
    router.delete("/consumer-groups/:group/members/:group_instance_id").handler(ctx -> consumers.removeStaticMember(
        Callers.of(ctx), ctx.pathParam("group"), ctx.pathParam("group_instance_id"))
        .onSuccess(v -> Replies.noContent(ctx)).onFailure(ctx::fail));
    router.get("/consumer-groups/:group/lags").handler(ctx -> consumers.lags(Callers.of(ctx), ctx.pathParam("group"))
        .onSuccess(a -> Replies.json(ctx, 200, a)).onFailure(ctx::fail));
    router.post("/consumer-groups/:group/offsets/reset").handler(body).handler(ctx ->
        consumers.resetOffsets(Callers.of(ctx), ctx.pathParam("group"), Replies.jsonObjectBody(ctx))
            .onSuccess(a -> Replies.json(ctx, 200, a)).onFailure(ctx::fail));
    router.post("/consumer-groups/:group/offsets/delete").handler(body).handler(ctx ->
        consumers.deleteOffsets(Callers.of(ctx), ctx.pathParam("group"), Replies.jsonObjectBody(ctx))
            .onSuccess(a -> Replies.json(ctx, 200, a)).onFailure(ctx::fail));
  }
}
