package io.sluice.streams;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.errors.ErrorCode;
import io.sluice.errors.SluiceException;
import io.sluice.record.Header;
import io.sluice.record.Partitioner;
import io.sluice.record.Record;
import java.util.Map;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ProcessorTest {
  private static final DefinitionParser PARSER = new DefinitionParser(new Expressions(4096, 1000),
      new StreamDefinition.Limits(64, 1000));

  private static StreamDefinition parse(String json) {
    return PARSER.parse(new JsonObject(json), null);
  }

  private static List<Processor.Output> run(StreamDefinition d, String key, String value) throws Exception {
    return run(d, key, value, List.of());
  }

  private static List<Processor.Output> run(StreamDefinition d, String key, String value, List<Header> headers)
      throws Exception {
    Record r = new Record(7, 1000, key == null ? null : key.getBytes(StandardCharsets.UTF_8),
        value == null ? null : value.getBytes(StandardCharsets.UTF_8), headers);
    return new Processor(d, 10, 8 << 20).process("in", 1, r, t -> 3, Processor.Tracer.NONE);
  }

  private static String value(Processor.Output o) {
    return o.value() == null ? null : new String(o.value(), StandardCharsets.UTF_8);
  }

  private static String key(Processor.Output o) {
    return o.key() == null ? null : new String(o.key(), StandardCharsets.UTF_8);
  }

  @Test
  void theIssuesExampleFiltersAndMapsWithJsonNumbersAsAUserExpects() throws Exception {
    StreamDefinition d = parse("""
        {"name": "eu-orders", "inputs": ["orders"], "key_format": "string", "value_format": "json",
         "steps": [{"filter": "value.region == 'eu' && value.qty >= 10"},
                   {"map": {"value": "{'id': value.id, 'total': value.qty * value.price}"}},
                   {"to": "eu-orders"}]}""");
    List<Processor.Output> out = run(d, "k1", "{\"id\": 1, \"region\": \"eu\", \"qty\": 12, \"price\": 2.5}");
    assertThat(out).hasSize(1);
    assertThat(new JsonObject(value(out.get(0)))).isEqualTo(new JsonObject("{\"id\": 1, \"total\": 30.0}"));
    assertThat(out.get(0).topic()).isEqualTo("eu-orders");
    assertThat(out.get(0).partition()).isEqualTo(Partitioner.partitionForKey("k1".getBytes(), 3));
    assertThat(out.get(0).timestamp()).isEqualTo(1000);
    assertThat(run(d, "k", "{\"id\": 1, \"region\": \"eu\", \"qty\": 9, \"price\": 2.5}")).isEmpty();
    assertThat(run(d, "k", "{\"id\": 1, \"region\": \"us\", \"qty\": 90, \"price\": 2.5}")).isEmpty();
    // a decimal quantity compared with the int literal, an int price multiplied with a decimal quantity
    assertThat(new JsonObject(value(run(d, "k", "{\"id\": 2, \"region\": \"eu\", \"qty\": 10.5, \"price\": 2}")
        .get(0)))).isEqualTo(new JsonObject("{\"id\": 2, \"total\": 21.0}"));
  }

  @Test
  void mapSetsKeyHeadersAndTimestampAndSelectKeyReplacesTheKey() throws Exception {
    StreamDefinition d = parse("""
        {"name": "s", "inputs": ["in"], "value_format": "json",
         "steps": [{"map": {"key": "string(value.n)", "headers": "{'h': 'x' + key}", "timestamp": "timestamp + 5"}},
                   {"select_key": "key + '!'"}, {"to": "out"}]}""");
    Processor.Output o = run(d, "a", "{\"n\": 4}").get(0);
    assertThat(key(o)).isEqualTo("4!");
    assertThat(o.headers()).containsExactly(Header.of("h", "xa"));
    assertThat(o.timestamp()).isEqualTo(1005);
  }

  @Test
  void flatMapMakesZeroOrMoreRecordsInOrder() throws Exception {
    StreamDefinition d = parse("""
        {"name": "s", "inputs": ["in"], "value_format": "json",
         "steps": [{"flat_map": "value.items"}, {"filter": "value > 1"}, {"to": "out"}]}""");
    assertThat(run(d, "a", "{\"items\": [1, 2, 3]}")).extracting(ProcessorTest::value).containsExactly("2", "3");
    assertThat(run(d, "a", "{\"items\": []}")).isEmpty();
  }

  @Test
  void branchTakesTheFirstMatchingArmElseTheDefault() throws Exception {
    StreamDefinition d = parse("""
        {"name": "s", "inputs": ["in"], "value_format": "string",
         "steps": [{"branch": [{"when": "value.startsWith('a')", "steps": [{"to": "a"}]},
                               {"when": "value.size() > 1", "steps": [{"map": {"value": "value + value"}}, {"to": "long"}]},
                               {"steps": [{"to": "other"}]}]}]}""");
    assertThat(run(d, null, "abc")).extracting(Processor.Output::topic).containsExactly("a");
    Processor.Output o = run(d, null, "xy").get(0);
    assertThat(o.topic()).isEqualTo("long");
    assertThat(value(o)).isEqualTo("xyxy");
    assertThat(o.partition()).isEqualTo(1); // a null key stays on the input's partition number, deterministically
    assertThat(run(d, null, "z")).extracting(Processor.Output::topic).containsExactly("other");
  }

  @Test
  void mergeAddsInputsAndToTakesAPartitionExpression() throws Exception {
    StreamDefinition d = parse("""
        {"name": "s", "inputs": ["a"], "value_format": "json",
         "steps": [{"merge": ["b", "c"]}, {"to": {"topic": "out", "partition": "value.p"}}]}""");
    assertThat(d.inputs()).containsExactly("a", "b", "c");
    assertThat(run(d, "k", "{\"p\": 2}").get(0).partition()).isEqualTo(2);
    assertThatThrownBy(() -> run(d, "k", "{\"p\": 3}")).isInstanceOf(ProcessingException.class)
        .hasMessageContaining("partition must be");
  }

  @Test
  void bytesFormatPassesBytesThrough() throws Exception {
    StreamDefinition d = parse("""
        {"name": "s", "inputs": ["a"], "key_format": "bytes", "value_format": "bytes",
         "steps": [{"filter": "size(value) == 3"}, {"to": "out"}]}""");
    assertThat(value(run(d, "k", "abc").get(0))).isEqualTo("abc");
    assertThat(run(d, "k", "abcd")).isEmpty();
  }

  @Test
  void aRecordsOutputsPastStreamsMaxBytesPerRecordAreItsProcessingError() throws Exception {
    StreamDefinition d = parse("""
        {"name": "s", "inputs": ["in"], "value_format": "string",
         "steps": [{"flat_map": "[1, 2, 3, 4].map(i, value)"}, {"to": "out"}]}""");
    Processor small = new Processor(d, 1000, 16_000);
    Record fits = new Record(1, 1000, null, "x".repeat(3_900).getBytes(StandardCharsets.UTF_8), List.of());
    assertThat(small.process("in", 0, fits, t -> 1, Processor.Tracer.NONE)).hasSize(4);
    Record over = new Record(2, 1000, null, "x".repeat(4_100).getBytes(StandardCharsets.UTF_8), List.of());
    assertThatThrownBy(() -> small.process("in", 0, over, t -> 1, Processor.Tracer.NONE))
        .isInstanceOf(ProcessingException.class).hasMessageContaining("streams.max.bytes.per.record")
        .extracting(e -> ((ProcessingException) e).step()).isEqualTo("steps[1].to");
  }

  @Test
  void aRecordsStateChangesPastTheLimitRollBackAndAreItsProcessingError() throws Exception {
    // 100 windows of a 2 KB value: 200 KB of changes from one record (a 900 KB record in 1,000 windows took the heap).
    StreamDefinition d = parse("""
        {"name": "s", "inputs": ["in"], "key_format": "string", "value_format": "string",
         "steps": [{"group_by": "key"}, {"window": {"hopping": {"size": "100s", "advance": "1s"}}},
                   {"reduce": {"fold": "value", "emit": "final"}}, {"to": "out"}]}""");
    Processor p = new Processor(d, 1000, 64 * 1024);
    TaskStores stores = TaskStores.inMemory(d);
    Record big = new Record(1, 200_000, "k".getBytes(StandardCharsets.UTF_8),
        "x".repeat(2_000).getBytes(StandardCharsets.UTF_8), List.of());
    assertThatThrownBy(() -> p.process("in", 0, big, t -> 1, Processor.Tracer.NONE, stores))
        .isInstanceOf(ProcessingException.class).hasMessageContaining("streams.max.bytes.per.record")
        .extracting(e -> ((ProcessingException) e).step()).isEqualTo("steps[0].group_by");
    io.sluice.streams.state.StoreState st = stores.get(d.aggregate().store());
    assertThat(st.tx().pendingBytes()).isZero();
    assertThat(st.kv().scan(new byte[0], new byte[] {(byte) 0xff}, 10)).isEmpty();
    Record small = new Record(2, 200_000, "k".getBytes(StandardCharsets.UTF_8),
        "x".repeat(100).getBytes(StandardCharsets.UTF_8), List.of());
    List<Processor.Output> out = p.process("in", 0, small, t -> 1, Processor.Tracer.NONE, stores);
    assertThat(out).extracting(Processor.Output::topic).containsOnly(d.changelogTopic()).hasSize(100);
  }

  @Test
  void bytesAnExpressionMakesAreWrittenInEveryFormat() throws Exception {
    // CEL makes its own bytes type of literals and concatenations; writing it was refused as "not bytes".
    StreamDefinition bytes = parse("""
        {"name": "s", "inputs": ["a"], "key_format": "bytes", "value_format": "bytes",
         "steps": [{"map": {"key": "b'k'", "value": "value + b'!'", "headers": "{'h': b'xy'}"}}, {"to": "out"}]}""");
    Processor.Output o = run(bytes, "k", "abc").get(0);
    assertThat(value(o)).isEqualTo("abc!");
    assertThat(key(o)).isEqualTo("k");
    assertThat(o.headers()).containsExactly(Header.of("h", "xy")); // as UTF-8 text, as a string header is
    StreamDefinition json = parse("""
        {"name": "s", "inputs": ["a"], "value_format": "json",
         "steps": [{"map": {"value": "{'b': b'hi'}"}}, {"to": "out"}]}""");
    assertThat(value(run(json, "k", "1").get(0))).isEqualTo("{\"b\":\"aGk=\"}");
  }

  @Test
  void badRecordsFailWithTheStepThatFailed() {
    StreamDefinition d = parse("""
        {"name": "s", "inputs": ["a"], "steps": [{"filter": "value.qty / value.n > 1"}, {"to": "out"}]}""");
    assertThatThrownBy(() -> run(d, "k", "not json")).isInstanceOf(ProcessingException.class)
        .satisfies(e -> assertThat(((ProcessingException) e).step()).isEqualTo("value_format"));
    assertThatThrownBy(() -> run(d, "k", "{\"qty\": 1}"))
        .satisfies(e -> assertThat(((ProcessingException) e).step()).isEqualTo("steps[0].filter"))
        .hasMessageContaining("n");
    assertThatThrownBy(() -> run(d, "k", "{\"qty\": 1, \"n\": 0}")).hasMessageContaining("by zero");
    assertThatThrownBy(() -> run(d, "k", "{\"qty\": 'x', \"n\": 1}".replace('\'', '"')))
        .isInstanceOf(ProcessingException.class);
  }

  /**
   * A double divided by zero was written as the strings "NaN" / "Infinity" where the field was a number in every
   * other record; the int division by zero beside it is a record error. Both are record errors now, in the json and
   * string formats; a finite double is written as before.
   */
  @Test
  void aNanOrInfiniteOutputIsARecordErrorNotAString() throws Exception {
    StreamDefinition json = parse("""
        {"name": "s", "inputs": ["a"], "value_format": "json",
         "steps": [{"map": {"value": "{'ratio': double(value.a) / double(value.b)}"}}, {"to": "out"}]}""");
    assertThat(new JsonObject(value(run(json, "k", "{\"a\": 1, \"b\": 4}").get(0))).getDouble("ratio"))
        .isEqualTo(0.25);
    for (String input : List.of("{\"a\": 1, \"b\": 0}", "{\"a\": 0, \"b\": 0}", "{\"a\": -1, \"b\": 0}")) {
      assertThatThrownBy(() -> run(json, "k", input)).as(input)
          .isInstanceOfSatisfying(ProcessingException.class, e -> assertThat(e.step()).isEqualTo("value"))
          .hasMessageContaining("is not a JSON number");
    }
    StreamDefinition string = parse("""
        {"name": "s", "inputs": ["a"], "value_format": "string",
         "steps": [{"map": {"value": "{'ratio': double(value) / double(value)}"}}, {"to": "out"}]}""");
    assertThat(value(run(string, "k", "4").get(0))).isEqualTo("{\"ratio\":1.0}");
    assertThatThrownBy(() -> run(string, "k", "0")).hasMessageContaining("NaN is not a JSON number");
  }

  @Test
  void tooManyOutputsIsAProcessingError() {
    StreamDefinition d = parse("""
        {"name": "s", "inputs": ["a"], "steps": [{"flat_map": "value"}, {"to": "out"}]}""");
    List<Integer> many = new ArrayList<>();
    for (int i = 0; i < 11; i++) {
      many.add(i);
    }
    assertThatThrownBy(() -> run(d, "k", many.toString())).hasMessageContaining("streams.max.outputs.per.record");
  }

  @Test
  void compileErrorsNameTheStepAndThePosition() {
    assertThatThrownBy(() -> parse("""
        {"name": "s", "inputs": ["a"], "steps": [{"filter": "true"}, {"map": {"value": "value +"}}, {"to": "o"}]}"""))
        .isInstanceOfSatisfying(SluiceException.class, e -> {
          assertThat(e.errorCode()).isEqualTo(ErrorCode.INVALID_STREAM_DEFINITION);
          assertThat(e.getMessage()).startsWith("steps[1].map.value: ").contains("line 1, column 8");
        });
    assertThatThrownBy(() -> parse("""
        {"name": "s", "inputs": ["a"], "steps": [{"filter": "1 + 'a'"}, {"to": "o"}]}"""))
        .hasMessageStartingWith("steps[0].filter: ").hasMessageContaining("column");
    assertThatThrownBy(() -> parse("""
        {"name": "s", "inputs": ["a"], "steps": [{"filter": "nosuch(value)"}, {"to": "o"}]}"""))
        .hasMessageStartingWith("steps[0].filter: ");
    assertThatThrownBy(() -> parse("""
        {"name": "s", "inputs": ["a"], "steps": [{"branch": [{"when": "value ==", "steps": [{"to": "o"}]}]}]}"""))
        .hasMessageStartingWith("steps[0].branch[0].when: ");
  }

  @Test
  void shapeErrorsNameTheField() {
    assertThatThrownBy(() -> parse("{\"name\": \"s\", \"inputs\": [\"a\"], \"steps\": [{\"filter\": \"true\"}]}"))
        .hasMessageContaining("must end in a 'to'");
    assertThatThrownBy(() -> parse("{\"name\": \"s\", \"inputs\": [\"a\"], \"steps\": [{\"to\": \"o\"}, {\"to\": \"p\"}]}"))
        .hasMessageContaining("nothing may follow");
    assertThatThrownBy(() -> parse("{\"name\": \"s\", \"inputs\": [\"a\"], \"steps\": [{\"explode\": \"x\"}]}"))
        .hasMessageContaining("unknown step kind 'explode'");
    assertThatThrownBy(() -> parse("{\"name\": \"s\", \"inputs\": [\"a\"], \"value_format\": \"xml\", \"steps\": [{\"to\": \"o\"}]}"))
        .hasMessageStartingWith("value_format: ");
    assertThatThrownBy(() -> parse("{\"name\": \"s\", \"inputs\": [\"o\"], \"steps\": [{\"to\": \"o\"}]}"))
        .hasMessageContaining("may not read a topic it writes");
    assertThatThrownBy(() -> parse("{\"name\": \"s/x\", \"inputs\": [\"a\"], \"steps\": [{\"to\": \"o\"}]}"))
        .hasMessageStartingWith("name: ");
  }

  @Test
  void limitsOnStepsAndExpressionLengthAreEnforced() {
    DefinitionParser small = new DefinitionParser(new Expressions(10, 1000), new StreamDefinition.Limits(2, 10));
    assertThatThrownBy(() -> small.parse(new JsonObject("""
        {"name": "s", "inputs": ["a"], "steps": [{"filter": "true"}, {"filter": "true"}, {"to": "o"}]}"""), null))
        .hasMessageContaining("streams.max.steps");
    assertThatThrownBy(() -> small.parse(new JsonObject("""
        {"name": "s", "inputs": ["a"], "steps": [{"filter": "true && true && true"}, {"to": "o"}]}"""), null))
        .hasMessageContaining("streams.max.expression.length");
  }

  @Test
  void comprehensionsAreCostLimited() {
    DefinitionParser p = new DefinitionParser(new Expressions(4096, 5), new StreamDefinition.Limits(64, 10));
    StreamDefinition d = p.parse(new JsonObject("""
        {"name": "s", "inputs": ["a"], "steps": [{"filter": "value.all(x, x > 0)"}, {"to": "o"}]}"""), null);
    assertThatThrownBy(() -> run(d, "k", "[1,2,3,4,5,6,7,8,9,10]")).isInstanceOf(ProcessingException.class);
  }
}
