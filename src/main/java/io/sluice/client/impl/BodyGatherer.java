package io.sluice.client.impl;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;

/**
 * Gathers each response body that has a Content-Length into one heap array as it arrives, on the client
 * connection's Netty pipeline just before Vert.x's handler, and passes Vert.x the whole body as one chunk.
 *
 * <p>Why: Vert.x copies every chunk the HTTP decoder makes (8 KiB) out of Netty's pooled buffer into a new heap
 * buffer ({@code VertxHandler.safeBuffer}) before a response handler sees it, and {@link Transport} then copied
 * those chunks into the body's array: two copies and an 8 KiB allocation per chunk of every fetch answer, a tenth
 * of a reader's event-loop CPU (docs/benchmarks.md, issue 16, twelfth session, h-read2). Here each chunk is copied
 * once, from the pooled buffer straight into the body's array, and released at once: no pooled buffer outlives
 * {@link #channelRead}, so nothing downstream owns Netty's pooled memory. The array is handed on wrapped in an
 * unpooled heap buffer of exactly the body's length, which Vert.x passes through without copying, and
 * {@link Transport} keeps the array itself. A large body's array comes from {@link AnswerArrays} and may be longer
 * than the body; it goes back there only when a reader has read the answer to its end.
 *
 * <p>Anything else goes through unchanged: a response without a Content-Length, a chunked one, one over
 * {@link Transport#MAX_PRESIZED_BODY_BYTES}, a content that failed to decode (the bytes gathered so far are passed on
 * first, so Vert.x sees what it saw before). One instance per connection, called on its event loop only.
 */
final class BodyGatherer extends ChannelInboundHandlerAdapter {
  static final String NAME = "sluice-body-gatherer";
  /** Vert.x's HTTP/1.x handler, the one this goes in front of. */
  private static final String VERTX_HANDLER = "handler";

  private final AnswerArrays arrays;
  private byte[] body;
  /** The declared length: the array may be longer (a pooled one, {@link AnswerArrays}). */
  private int expected;
  private int size;

  private BodyGatherer(AnswerArrays arrays) {
    this.arrays = arrays;
  }

  /**
   * Puts a gatherer in front of Vert.x's handler of an HTTP/1.x client connection; false (nothing changed) when the
   * pipeline is not the one expected (a newer Vert.x, HTTP/2), in which case answers take Vert.x's own path.
   */
  static boolean install(Channel channel, AnswerArrays arrays) {
    ChannelPipeline pipeline = channel.pipeline();
    if (pipeline.get(VERTX_HANDLER) == null || pipeline.get(NAME) != null) {
      return false;
    }
    pipeline.addBefore(VERTX_HANDLER, NAME, new BodyGatherer(arrays));
    return true;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (msg instanceof HttpResponse head) {
      start(head);
      ctx.fireChannelRead(msg);
    } else if (body != null && msg instanceof HttpContent content) {
      gather(ctx, content);
    } else {
      ctx.fireChannelRead(msg);
    }
  }

  private void start(HttpResponse head) {
    body = null;
    size = 0;
    expected = 0;
    // A head that is also content (an invalid message the decoder made whole) is passed on as it is.
    if (head instanceof HttpContent || !head.decoderResult().isSuccess() || HttpUtil.isTransferEncodingChunked(head)) {
      return;
    }
    long length = HttpUtil.getContentLength(head, -1L);
    if (length > 0 && length <= Transport.MAX_PRESIZED_BODY_BYTES) {
      expected = (int) length;
      body = arrays.take(expected);
    }
  }

  private void gather(ChannelHandlerContext ctx, HttpContent content) {
    ByteBuf bytes = content.content();
    int n = bytes.readableBytes();
    boolean last = content instanceof LastHttpContent;
    if (!content.decoderResult().isSuccess() || n > expected - size) {
      // Not what the head promised: what came so far, then this as it is, and Vert.x decides.
      passGathered(ctx);
      ctx.fireChannelRead(content);
      return;
    }
    LastHttpContent end = null;
    try {
      bytes.getBytes(bytes.readerIndex(), body, size, n);
      size += n;
      // Shorter than declared only where the decoder says so itself (a HEAD answer, a 204): passed on as gathered.
      // The trailers handed over, not copied (replace() copies them: a header map per answer); nothing else holds them.
      end = last ? new DefaultLastHttpContent(gathered(), ((LastHttpContent) content).trailingHeaders()) : null;
    } finally {
      content.release();
    }
    if (end != null) {
      body = null;
      ctx.fireChannelRead(end);
    }
  }

  /** Passes on what was gathered (nothing if nothing was) and stops gathering this response. */
  private void passGathered(ChannelHandlerContext ctx) {
    if (size > 0) {
      ctx.fireChannelRead(new DefaultHttpContent(gathered()));
    }
    body = null;
  }

  private ByteBuf gathered() {
    return size == 0 ? Unpooled.EMPTY_BUFFER : Unpooled.wrappedBuffer(body, 0, size);
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    body = null; // heap only: nothing to release
    ctx.fireChannelInactive();
  }
}
