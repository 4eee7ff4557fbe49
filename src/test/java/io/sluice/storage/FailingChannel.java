package io.sluice.storage;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A FileChannel that delegates to a real one but, once {@link #failWrites} or {@link #failForce} is set, fails
 * writes (after writing half the buffer, like a disk filling up) or fsyncs with an IOException.
 */
final class FailingChannel extends FileChannel {
  final FileChannel delegate;
  final AtomicBoolean failWrites;
  final AtomicBoolean failForce;

  FailingChannel(FileChannel delegate, AtomicBoolean failWrites, AtomicBoolean failForce) {
    this.delegate = delegate;
    this.failWrites = failWrites;
    this.failForce = failForce;
  }

  static SegmentFiles factory(AtomicBoolean failWrites, AtomicBoolean failForce) {
    return (path, create) -> new FailingChannel(SegmentFiles.DEFAULT.open(path, create), failWrites, failForce);
  }

  @Override
  public int write(ByteBuffer src, long position) throws IOException {
    if (failWrites.get()) {
      ByteBuffer half = src.duplicate();
      half.limit(half.position() + half.remaining() / 2);
      delegate.write(half, position);
      throw new IOException("No space left on device (injected)");
    }
    return delegate.write(src, position);
  }

  @Override
  public void force(boolean metaData) throws IOException {
    if (failForce.get()) {
      throw new IOException("Input/output error (injected fsync failure)");
    }
    delegate.force(metaData);
  }

  @Override
  public int read(ByteBuffer dst) throws IOException {
    return delegate.read(dst);
  }

  @Override
  public long read(ByteBuffer[] dsts, int offset, int length) throws IOException {
    return delegate.read(dsts, offset, length);
  }

  @Override
  public int write(ByteBuffer src) throws IOException {
    return write(src, delegate.position());
  }

  @Override
  public long write(ByteBuffer[] srcs, int offset, int length) throws IOException {
    throw new UnsupportedOperationException();
  }

  @Override
  public long position() throws IOException {
    return delegate.position();
  }

  @Override
  public FileChannel position(long newPosition) throws IOException {
    delegate.position(newPosition);
    return this;
  }

  @Override
  public long size() throws IOException {
    return delegate.size();
  }

  @Override
  public FileChannel truncate(long size) throws IOException {
    delegate.truncate(size);
    return this;
  }

  @Override
  public long transferTo(long position, long count, WritableByteChannel target) throws IOException {
    return delegate.transferTo(position, count, target);
  }

  @Override
  public long transferFrom(ReadableByteChannel src, long position, long count) throws IOException {
    return delegate.transferFrom(src, position, count);
  }

  @Override
  public int read(ByteBuffer dst, long position) throws IOException {
    return delegate.read(dst, position);
  }

  @Override
  public MappedByteBuffer map(MapMode mode, long position, long size) throws IOException {
    return delegate.map(mode, position, size);
  }

  @Override
  public FileLock lock(long position, long size, boolean shared) throws IOException {
    return delegate.lock(position, size, shared);
  }

  @Override
  public FileLock tryLock(long position, long size, boolean shared) throws IOException {
    return delegate.tryLock(position, size, shared);
  }

  @Override
  protected void implCloseChannel() throws IOException {
    delegate.close();
  }
}
