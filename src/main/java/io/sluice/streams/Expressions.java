package io.sluice.streams;

import dev.cel.bundle.Cel;
import dev.cel.bundle.CelFactory;
import dev.cel.checker.CelStandardDeclarations;
import dev.cel.common.CelAbstractSyntaxTree;
import dev.cel.common.CelFunctionDecl;
import dev.cel.common.CelIssue;
import dev.cel.common.CelOptions;
import dev.cel.common.CelOverloadDecl;
import dev.cel.common.CelValidationException;
import dev.cel.common.types.MapType;
import dev.cel.common.types.SimpleType;
import dev.cel.common.values.CelByteString;
import dev.cel.parser.CelStandardMacro;
import dev.cel.runtime.CelEvaluationException;
import dev.cel.runtime.CelFunctionBinding;
import dev.cel.runtime.CelRuntime;
import dev.cel.runtime.CelStandardFunctions;
import dev.cel.runtime.standard.AddOperator.AddOverload;
import io.sluice.errors.ErrorCode;
import io.sluice.errors.SluiceException;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BinaryOperator;

/**
 * The streams' expression language: CEL (not Turing-complete, no side effects, only the functions registered here,
 * linear-time RE2 regexes), compiled and type-checked once when a definition is submitted.
 *
 * <p>Variables: {@code key} and {@code value} (dyn: what the stream's formats decode), {@code headers}
 * (map of string to string), {@code timestamp} (int, epoch milliseconds: the record's time, never the wall clock, so
 * processing replays identically), {@code topic}, {@code partition}, {@code offset}; in aggregations also
 * {@code aggregate} (the state so far) and, in a session merge, {@code other} (the later session's state); in a
 * join's value {@code left} and {@code right} (a side without a match is null).
 *
 * <p>JSON numbers: integers become CEL ints, others doubles. CEL has no implicit int/double arithmetic, so the
 * mixed overloads of {@code + - * /} are registered here and numeric comparisons are heterogeneous: {@code
 * value.qty * value.price} and {@code value.qty >= 10} work whatever the JSON wrote. No clock or random function
 * exists. Thread-safe: a compiled {@link CelRuntime.Program} is immutable.
 */
public final class Expressions {
  public static final List<String> VARIABLES = List.of("key", "value", "headers", "timestamp", "topic", "partition",
      "offset", "aggregate", "other", "left", "right");

  /** {@code streams.max.value.bytes}'s default: Kafka's default largest record. */
  public static final int DEFAULT_MAX_VALUE_BYTES = 1024 * 1024;

  private final Cel cel;
  private final int maxLength;
  private final int maxValueBytes;

  public Expressions(int maxLength, int maxIterations) {
    this(maxLength, maxIterations, DEFAULT_MAX_VALUE_BYTES);
  }

  /**
   * {@code maxValueBytes} bounds every value an expression makes: the standard {@code +} of strings, bytes and lists
   * (the only operators that copy, so the only way one evaluation grows a value) is replaced by one that refuses a
   * result past it, and every result is measured ({@link ValueSize}). Without it {@code aggregate + aggregate} took a
   * broker's heap within 30 records.
   */
  public Expressions(int maxLength, int maxIterations, int maxValueBytes) {
    this.maxLength = maxLength;
    this.maxValueBytes = maxValueBytes;
    CelOptions options = CelOptions.current()
        .enableHeterogeneousNumericComparisons(true)
        .comprehensionMaxIterations(maxIterations)
        .maxExpressionCodePointSize(maxLength)
        .build();
    this.cel = CelFactory.standardCelBuilder()
        .setOptions(options)
        .setStandardMacros(CelStandardMacro.STANDARD_MACROS)
        .setStandardEnvironmentEnabled(false) // CEL's condition for replacing standard bindings; declared as standard
        .setStandardDeclarations(CelStandardDeclarations.newBuilder().build())
        .setStandardFunctions(CelStandardFunctions.newBuilder().filterFunctions((function, overload) ->
            !GROWING_ADDS.contains(overload)).build())
        .addFunctionBindings(boundedAdds())
        .addVar("key", SimpleType.DYN)
        .addVar("value", SimpleType.DYN)
        .addVar("headers", MapType.create(SimpleType.STRING, SimpleType.STRING))
        .addVar("timestamp", SimpleType.INT)
        .addVar("topic", SimpleType.STRING)
        .addVar("partition", SimpleType.INT)
        .addVar("offset", SimpleType.INT)
        .addVar("aggregate", SimpleType.DYN)
        .addVar("other", SimpleType.DYN)
        .addVar("left", SimpleType.DYN)
        .addVar("right", SimpleType.DYN)
        .addFunctionDeclarations(mixed("_+_", "add"), mixed("_-_", "subtract"), mixed("_*_", "multiply"),
            mixed("_/_", "divide"))
        .addFunctionBindings(bindings("add", Double::sum))
        .addFunctionBindings(bindings("subtract", (a, b) -> a - b))
        .addFunctionBindings(bindings("multiply", (a, b) -> a * b))
        .addFunctionBindings(bindings("divide", (a, b) -> a / b))
        .build();
  }

  private static final Set<AddOverload> GROWING_ADDS = EnumSet.of(AddOverload.ADD_STRING, AddOverload.ADD_BYTES,
      AddOverload.ADD_LIST);

  /** The standard overloads' ids and semantics, with the result's size checked before it is built. */
  private List<CelFunctionBinding> boundedAdds() {
    return List.of(
        CelFunctionBinding.from("add_string", String.class, String.class, (a, b) -> {
          checkSize((long) a.length() + b.length(), "string", "characters");
          return a.concat(b);
        }),
        CelFunctionBinding.from("add_bytes", CelByteString.class, CelByteString.class, (a, b) -> {
          checkSize((long) a.size() + b.size(), "bytes value", "bytes");
          return a.concat(b);
        }),
        CelFunctionBinding.from("add_list", List.class, List.class, (a, b) -> {
          // Each element is written as at least one byte and a comma.
          checkSize(2L * ((long) a.size() + b.size()), "list", "bytes at least");
          List<Object> joined = new ArrayList<>(a.size() + b.size());
          joined.addAll(a);
          joined.addAll(b);
          return joined;
        }));
  }

  private void checkSize(long size, String what, String unit) {
    if (size > maxValueBytes) {
      throw new ValueTooLarge("+ would make a " + what + " of " + size + " " + unit + ", more than the "
          + maxValueBytes + " bytes a stream value may take (streams.max.value.bytes)");
    }
  }

  /** Thrown from inside an evaluation; {@link Expression#eval} turns it into the record's processing error. */
  static final class ValueTooLarge extends RuntimeException {
    ValueTooLarge(String message) {
      super(message, null, false, false);
    }
  }

  private static CelFunctionDecl mixed(String function, String name) {
    return CelFunctionDecl.newFunctionDeclaration(function,
        CelOverloadDecl.newGlobalOverload(name + "_int64_double", SimpleType.DOUBLE, SimpleType.INT, SimpleType.DOUBLE),
        CelOverloadDecl.newGlobalOverload(name + "_double_int64", SimpleType.DOUBLE, SimpleType.DOUBLE, SimpleType.INT));
  }

  private static List<CelFunctionBinding> bindings(String name, BinaryOperator<Double> op) {
    List<CelFunctionBinding> out = new ArrayList<>();
    out.add(CelFunctionBinding.from(name + "_int64_double", Long.class, Double.class,
        (a, b) -> op.apply(a.doubleValue(), b)));
    out.add(CelFunctionBinding.from(name + "_double_int64", Double.class, Long.class,
        (a, b) -> op.apply(a, b.doubleValue())));
    return out;
  }

  /**
   * Compiles {@code source}; {@code where} names the step ("steps[1].map.value") in the error, which also gives the
   * line and column.
   *
   * @throws SluiceException INVALID_STREAM_DEFINITION for a syntax or type error, or an expression too long
   */
  public Expression compile(String where, String source) {
    if (source.length() > maxLength) {
      throw invalid(where + ": the expression has " + source.length() + " characters, more than the "
          + maxLength + " allowed (streams.max.expression.length)");
    }
    try {
      CelAbstractSyntaxTree ast = cel.compile(source).getAst();
      return new Expression(where, source, cel.createProgram(ast), maxValueBytes);
    } catch (CelValidationException e) {
      CelIssue first = e.getErrors().get(0);
      int line = first.getSourceLocation().getLine();
      int column = first.getSourceLocation().getColumn() + 1;
      throw invalid(where + ": " + first.getMessage() + " at line " + line + ", column " + column + " of '"
          + source + "'");
    } catch (Exception e) {
      throw invalid(where + ": " + e.getMessage());
    }
  }

  static SluiceException invalid(String message) {
    return new SluiceException(ErrorCode.INVALID_STREAM_DEFINITION, message);
  }

  /** A compiled expression with the step it belongs to. Thread-safe. */
  public record Expression(String where, String source, CelRuntime.Program program, int maxValueBytes) {
    /** Evaluates over {@code vars}; a failure, or a result larger than a stream value may be, names the step. */
    public Object eval(Map<String, ?> vars) throws ProcessingException {
      Object result;
      try {
        result = program.eval(vars);
      } catch (CelEvaluationException e) {
        throw new ProcessingException(where, tooLarge(e).orElse(e.getMessage()));
      } catch (RuntimeException e) {
        throw new ProcessingException(where, tooLarge(e).orElse(String.valueOf(e.getMessage())));
      }
      if (ValueSize.exceeds(result, maxValueBytes)) {
        throw new ProcessingException(where, "the result takes more than the " + maxValueBytes
            + " bytes a stream value may take (streams.max.value.bytes)");
      }
      return result;
    }

    /** The size refusal's own message, wherever CEL wrapped it. */
    private static java.util.Optional<String> tooLarge(Throwable e) {
      for (Throwable t = e; t != null; t = t.getCause()) {
        if (t instanceof ValueTooLarge v) {
          return java.util.Optional.of(v.getMessage());
        }
      }
      return java.util.Optional.empty();
    }
  }
}
