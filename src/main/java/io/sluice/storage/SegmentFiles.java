package io.sluice.storage;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Opens segment files. The production implementation opens a plain {@link FileChannel}; tests substitute one
 * that fails writes or fsyncs on demand to exercise the failed-log state.
 */
@FunctionalInterface
interface SegmentFiles {
  SegmentFiles DEFAULT = (path, create) -> create
      ? FileChannel.open(path, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ, StandardOpenOption.WRITE)
      : FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE);

  /** Opens {@code path} for reading and writing; {@code create} makes a new file and fails if one exists. */
  FileChannel open(Path path, boolean create) throws IOException;
}
