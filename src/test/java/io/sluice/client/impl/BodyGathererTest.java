package io.sluice.client.impl;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.PrematureChannelClosureException;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The gatherer on a pipeline like Vert.x's (a handler named "handler" after it), fed pooled chunks as the HTTP
 * decoder makes them: what reaches Vert.x, and that no pooled buffer is left unreleased.
 */
class BodyGathererTest {
  private final List<Object> seen = new ArrayList<>();
  private final List<ByteBuf> fed = new ArrayList<>();
  private EmbeddedChannel channel;

  @BeforeEach
  void pipeline() {
    channel = new EmbeddedChannel();
    channel.pipeline().addLast("handler", new ChannelInboundHandlerAdapter() {
      @Override
      public void channelRead(ChannelHandlerContext ctx, Object msg) {
        seen.add(msg);
      }
    });
    assertThat(BodyGatherer.install(channel, new AnswerArrays())).isTrue();
  }

  @AfterEach
  void close() {
    channel.finishAndReleaseAll();
    seen.forEach(ReferenceCountUtil::release);
  }

  @Test
  void installsOnceAndOnlyInFrontOfVertxsHandler() {
    assertThat(channel.pipeline().names()).containsSubsequence(BodyGatherer.NAME, "handler");
    assertThat(BodyGatherer.install(channel, new AnswerArrays())).isFalse();
    assertThat(BodyGatherer.install(new EmbeddedChannel(), new AnswerArrays())).isFalse();
  }

  @Test
  void aSizedBodyInPooledChunksReachesVertxAsOneExactArrayAndEveryChunkIsReleased() {
    byte[] body = random(3 * 8192 + 5);
    channel.writeInbound(head(body.length));
    feed(body, 8192, true);

    assertThat(seen).hasSize(2);
    assertThat(seen.get(0)).isInstanceOf(HttpResponse.class);
    LastHttpContent last = (LastHttpContent) seen.get(1);
    ByteBuf content = last.content();
    // One unpooled heap array of exactly the body: Vert.x does not copy it, Transport keeps it.
    assertThat(content.alloc()).isNotInstanceOf(PooledByteBufAllocator.class);
    assertThat(content.hasArray()).isTrue();
    assertThat(content.arrayOffset() + content.readerIndex()).isZero();
    assertThat(content.array()).isEqualTo(body);
    assertThat(fed).allSatisfy(b -> assertThat(b.refCnt()).isZero());
  }

  @Test
  void theLastChunksTrailersReachVertxAsTheyCameNotCopied() {
    byte[] body = random(300);
    channel.writeInbound(head(body.length));
    LastHttpContent end = new DefaultLastHttpContent(pooled(body));
    end.trailingHeaders().set("X-Trailer", "t");
    channel.writeInbound(end);

    LastHttpContent passed = (LastHttpContent) seen.get(1);
    assertThat(passed.content().array()).isEqualTo(body);
    // A copy was a header map more per answer, two per record for a one-at-a-time producer and its reader.
    assertThat(passed.trailingHeaders()).isSameAs(end.trailingHeaders());
    assertThat(passed.trailingHeaders().get("X-Trailer")).isEqualTo("t");
  }

  @Test
  void theNextAnswerOnTheConnectionGetsAnArrayOfItsOwn() {
    byte[] first = random(10_000);
    byte[] second = random(10_000);
    channel.writeInbound(head(first.length));
    feed(first, 4096, true);
    channel.writeInbound(head(second.length));
    feed(second, 4096, true);

    byte[] firstArray = ((LastHttpContent) seen.get(1)).content().array();
    byte[] secondArray = ((LastHttpContent) seen.get(3)).content().array();
    assertThat(secondArray).isNotSameAs(firstArray).isEqualTo(second);
    // A record decoded from the first answer may still view its array: the second answer must not touch it.
    assertThat(firstArray).isEqualTo(first);
  }

  @Test
  void aChunkedAnswerAndOneWithoutLengthPassThroughUntouched() {
    HttpResponse chunked = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
    chunked.headers().set(HttpHeaderNames.TRANSFER_ENCODING, "chunked");
    channel.writeInbound(chunked);
    ByteBuf piece = pooled(new byte[] {1, 2, 3});
    channel.writeInbound(new DefaultHttpContent(piece));
    channel.writeInbound(LastHttpContent.EMPTY_LAST_CONTENT);
    channel.writeInbound(new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK));
    ByteBuf other = pooled(new byte[] {4});
    channel.writeInbound(new DefaultLastHttpContent(other));

    assertThat(seen).hasSize(5);
    assertThat(((HttpContent) seen.get(1)).content()).isSameAs(piece);
    assertThat(((HttpContent) seen.get(4)).content()).isSameAs(other);
    assertThat(piece.refCnt()).isOne(); // Vert.x's to release, as before
  }

  @Test
  void aBodyCutShortPassesOnWhatCameAndThenTheDecodersFailure() {
    byte[] body = random(20_000);
    channel.writeInbound(head(body.length));
    feed(Arrays.copyOf(body, 12_000), 4096, false);
    LastHttpContent cut = new DefaultLastHttpContent();
    cut.setDecoderResult(DecoderResult.failure(new PrematureChannelClosureException("closed")));
    channel.writeInbound(cut);

    assertThat(seen).hasSize(3);
    HttpContent partial = (HttpContent) seen.get(1);
    assertThat(bytes(partial.content())).isEqualTo(Arrays.copyOf(body, 12_000));
    assertThat(seen.get(2)).isSameAs(cut);
    assertThat(fed).allSatisfy(b -> assertThat(b.refCnt()).isZero());
  }

  @Test
  void anAnswerWithoutTheBodyItsHeadAnnounces() {
    // A HEAD answer: the decoder ends it at once, Content-Length notwithstanding.
    channel.writeInbound(head(5_000));
    channel.writeInbound(LastHttpContent.EMPTY_LAST_CONTENT);
    assertThat(seen).hasSize(2);
    assertThat(((LastHttpContent) seen.get(1)).content().readableBytes()).isZero();
  }

  private static HttpResponse head(int length) {
    HttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
    head.headers().set(HttpHeaderNames.CONTENT_LENGTH, length);
    return head;
  }

  /** Feeds {@code body} in pooled chunks of {@code size}, the last one a LastHttpContent when {@code end}. */
  private void feed(byte[] body, int size, boolean end) {
    for (int from = 0; from < body.length; from += size) {
      int to = Math.min(body.length, from + size);
      ByteBuf chunk = pooled(Arrays.copyOfRange(body, from, to));
      channel.writeInbound(end && to == body.length ? new DefaultLastHttpContent(chunk) : new DefaultHttpContent(chunk));
    }
  }

  private ByteBuf pooled(byte[] bytes) {
    ByteBuf buf = PooledByteBufAllocator.DEFAULT.directBuffer(bytes.length);
    buf.writeBytes(bytes);
    fed.add(buf);
    return buf;
  }

  private static byte[] bytes(ByteBuf buf) {
    byte[] b = new byte[buf.readableBytes()];
    buf.getBytes(buf.readerIndex(), b);
    return b;
  }

  private static byte[] random(int n) {
    byte[] b = new byte[n];
    new Random(n).nextBytes(b);
    return b;
  }
}
