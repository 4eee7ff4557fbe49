package io.sluice.http;

import io.sluice.api.InstanceMembership;
import io.sluice.api.OffsetCommit;
import io.sluice.api.TopicPartition;
import io.sluice.errors.ErrorCode;
import io.sluice.errors.SluiceException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.Map;
import java.util.Set;

/**
 * A consuming WebSocket's client message, read and checked without the session's state, so that a large one (a
 * commit of thousands of partitions, up to {@code ws.max.message.bytes}) can be read on the HTTP worker pool
 * ({@link BodyDecoding}) while the session applies the messages in the order they came ({@link WsConsumeSession}).
 *
 * @param credit the credit granted (positive; the session checks its total), or null
 * @param entries the commit's entries as sent, for the reply and its quota count, or null without a commit array
 * @param commits the commit's offsets, or null
 * @param refused why the message is refused, after what came before in it (its credit) was taken; or null
 */
record WsConsumeFrame(Object id, Long credit, JsonArray entries, Map<TopicPartition, OffsetCommit> commits,
    InstanceMembership fence, SluiceException refused) {
  private static final Set<String> FIELDS = Set.of("credit", "commit", "member_id", "generation_id", WsFrames.ID);

  /** The message read; never throws for a client's mistake (it comes back in {@link #refused}). */
  static WsConsumeFrame decode(String text) {
    Object id = null;
    Long credit = null;
    JsonArray entries = null;
    try {
      JsonObject frame = WsFrames.parse(text, FIELDS);
      id = WsFrames.id(frame);
      if (frame.containsKey("credit")) {
        credit = credit(frame.getValue("credit"));
      }
      InstanceMembership fence = ConsumerJson.fence(frame);
      if (!frame.containsKey("commit")) {
        if (fence != null) {
          throw new SluiceException(ErrorCode.MALFORMED_REQUEST,
              "'member_id' and 'generation_id' fence a commit: send them with 'commit'");
        }
        return new WsConsumeFrame(id, credit, null, null, null, null);
      }
      if (!(frame.getValue("commit") instanceof JsonArray array)) {
        throw new SluiceException(ErrorCode.MALFORMED_REQUEST,
            "'commit' must be an array of {\"topic\", \"partition\", \"offset\", \"metadata\"?}");
      }
      entries = array;
      return new WsConsumeFrame(id, credit, entries, ConsumerJson.commits(entries, "commit"), fence, null);
    } catch (SluiceException e) {
      return new WsConsumeFrame(id, credit, entries, null, null, e);
    }
  }

  private static long credit(Object value) {
    if (!(value instanceof Integer || value instanceof Long) || ((Number) value).longValue() <= 0) {
      throw new SluiceException(ErrorCode.MALFORMED_REQUEST, "'credit' must be a positive integer, got " + value);
    }
    return ((Number) value).longValue();
  }
}
