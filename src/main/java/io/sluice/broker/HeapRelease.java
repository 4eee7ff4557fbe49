package io.sluice.broker;

import com.sun.management.HotSpotDiagnosticMXBean;
import java.lang.management.ManagementFactory;

/**
 * Gives unused heap back to the operating system when the broker goes quiet ({@code heap.release.interval.ms}).
 *
 * <p>G1 grows its committed heap under load and only shrinks it after a collection that finds it mostly free; an idle
 * broker runs no collection, so a burst of traffic left its peak heap resident for good (issue 16: ~530 MiB RSS after
 * 2,000,000 records with {@code -Xmx1g}, most of it committed but unused heap). G1's periodic collection (JEP 346) runs
 * a concurrent cycle after the interval without one, and that cycle uncommits the free regions. The flag is
 * manageable, so the broker sets it at start from its configuration rather than asking every launcher for a JVM flag.
 */
public final class HeapRelease {
  /** The HotSpot flag; read by G1 only, harmless under another collector. */
  static final String FLAG = "G1PeriodicGCInterval";
  private static final System.Logger LOG = System.getLogger(HeapRelease.class.getName());

  private HeapRelease() {}

  /**
   * Sets the periodic collection's interval for this JVM (one setting per process: brokers sharing a JVM share it).
   * An explicit {@code -XX:G1PeriodicGCInterval} on the command line wins over the configuration.
   */
  public static void apply(long intervalMs) {
    HotSpotDiagnosticMXBean hotspot = ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class);
    if (hotspot.getVMOption(FLAG).getOrigin() == com.sun.management.VMOption.Origin.VM_CREATION) {
      LOG.log(System.Logger.Level.INFO, "heap.release.interval.ms ignored: -XX:" + FLAG + " is set on the command line");
      return;
    }
    hotspot.setVMOption(FLAG, Long.toString(intervalMs));
  }

  /** The interval in force, in milliseconds (0: never). */
  public static long intervalMs() {
    return Long.parseLong(ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class).getVMOption(FLAG)
        .getValue());
  }
}
