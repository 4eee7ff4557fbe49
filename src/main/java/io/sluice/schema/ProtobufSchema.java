package io.sluice.schema;

import com.squareup.wire.schema.CoreLoader;
import com.squareup.wire.schema.ErrorCollector;
import com.squareup.wire.schema.Linker;
import com.squareup.wire.schema.Loader;
import com.squareup.wire.schema.Location;
import com.squareup.wire.schema.ProtoFile;
import com.squareup.wire.schema.Schema;
import com.squareup.wire.schema.internal.parser.FieldElement;
import com.squareup.wire.schema.internal.parser.MessageElement;
import com.squareup.wire.schema.internal.parser.OneOfElement;
import com.squareup.wire.schema.internal.parser.OptionElement;
import com.squareup.wire.schema.internal.parser.ProtoFileElement;
import com.squareup.wire.schema.internal.parser.ProtoParser;
import com.squareup.wire.schema.internal.parser.TypeElement;
import io.sluice.schema.StoredSchema.Reference;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * A Protobuf schema: one {@code .proto} file's text parsed by Square's Wire and linked with the files it imports.
 * Each import is a reference whose {@code name} is the imported path (Confluent's convention); the referenced
 * subjects' versions are parsed the same way, their own imports first. Google's well-known types
 * ({@code google/protobuf/*.proto}) import without a reference. A type that does not resolve, a duplicate field
 * number or any other linking error is a 42201 naming it.
 *
 * <p>{@link #canonical} is Wire's own rendering of the parsed file (whitespace and comments do not count, the order of
 * declarations does); {@link #normalized} also sorts imports, options and each message's fields by number, as
 * Confluent's {@code normalize=true} does. Compatibility is {@link ProtobufCompatibility}.
 */
final class ProtobufSchema implements ParsedSchema {
  /** The path the registered file itself has among its imports. */
  static final String MAIN = "schema.proto";

  private final ProtoFileElement element;
  private final Schema linked;
  private final String canonical;

  private ProtobufSchema(ProtoFileElement element, Schema linked) {
    this.element = element;
    this.linked = linked;
    this.canonical = element.toSchema();
  }

  @Override
  public String type() {
    return PROTOBUF;
  }

  @Override
  public String canonical() {
    return canonical;
  }

  @Override
  public String normalized() {
    return normalize(element).toSchema();
  }

  /** The linked schema: this file ({@link #MAIN}) and every file it imports. */
  Schema linked() {
    return linked;
  }

  ProtoFile file() {
    return linked.protoFile(MAIN);
  }

  static ProtobufSchema parse(String text, List<Reference> references, Function<Reference, StoredSchema> resolve) {
    try {
      ProtoFileElement main = element(MAIN, text);
      Map<String, ProtoFileElement> files = new HashMap<>();
      files.put(MAIN, main);
      addReferenced(files, references, resolve);
      Linker linker = new Linker(new FileLoader(files), new ErrorCollector(), false, true);
      return new ProtobufSchema(main, linker.link(List.of(ProtoFile.Companion.get(main))));
    } catch (RegistryException e) {
      throw e;
    } catch (RuntimeException e) { // Wire's parser throws IllegalStateException, its linker SchemaException
      throw RegistryException.invalidSchema("Invalid schema " + text + ": " + e.getMessage());
    }
  }

  private static ProtoFileElement element(String path, String text) {
    return new ProtoParser(Location.get(path), text.toCharArray()).readProtoFile();
  }

  /** Parses each referenced version under its reference's name (the path its importer names), once each. */
  private static void addReferenced(Map<String, ProtoFileElement> files, List<Reference> references,
      Function<Reference, StoredSchema> resolve) {
    for (Reference ref : references) {
      if (!files.containsKey(ref.name())) {
        StoredSchema target = ParsedSchema.resolved(ref, resolve);
        files.put(ref.name(), element(ref.name(), target.schema()));
        addReferenced(files, target.references(), resolve);
      }
    }
  }

  /** Loads the registered file and its references by path, Google's well-known types from Wire's own copies. */
  private record FileLoader(Map<String, ProtoFileElement> files) implements Loader {
    @Override
    public ProtoFile load(String path) {
      ProtoFileElement file = files.get(path);
      if (file != null) {
        return ProtoFile.Companion.get(file);
      }
      if (path.startsWith("google/protobuf/") || path.equals("wire/extensions.proto")) {
        return CoreLoader.INSTANCE.load(path);
      }
      throw RegistryException.invalidSchema("Invalid schema: import \"" + path + "\" is neither a reference"
          + " (a reference's name is the path its schema is imported by) nor one of Google's well-known types");
    }

    @Override
    public Loader withErrors(ErrorCollector errors) {
      return this;
    }
  }

  // ---- normalization ----

  private static final Comparator<OptionElement> BY_SCHEMA = Comparator.comparing(OptionElement::toSchema);

  private static ProtoFileElement normalize(ProtoFileElement file) {
    return file.copy(file.getLocation(), file.getPackageName(), file.getSyntax(), sorted(file.getImports()),
        sorted(file.getPublicImports()), sorted(file.getWeakImports()), normalizeTypes(file.getTypes()),
        file.getServices(), file.getExtendDeclarations(), file.getOptions().stream().sorted(BY_SCHEMA).toList());
  }

  private static List<String> sorted(List<String> paths) {
    return paths.stream().sorted().toList();
  }

  private static List<TypeElement> normalizeTypes(List<TypeElement> types) {
    return types.stream().map(t -> t instanceof MessageElement m ? normalize(m) : t).toList();
  }

  /**
   * Fields by number, then one-ofs (their members by number), then nested types. Wire renders a message's members in
   * the order of their source lines, so the normalized ones get lines in that order.
   */
  private static TypeElement normalize(MessageElement m) {
    int[] line = {1};
    List<FieldElement> fields = m.getFields().stream().sorted(Comparator.comparingInt(FieldElement::getTag))
        .map(f -> at(f, m.getLocation().at(line[0]++, 1))).toList();
    List<OneOfElement> oneOfs = m.getOneOfs().stream().map(o -> o.copy(o.getName(), o.getDocumentation(),
        o.getFields().stream().sorted(Comparator.comparingInt(FieldElement::getTag))
            .map(f -> at(f, m.getLocation().at(line[0]++, 1))).toList(), o.getGroups(), o.getOptions(),
        m.getLocation().at(line[0]++, 1))).toList();
    return m.copy(m.getLocation(), m.getName(), m.getDocumentation(), normalizeTypes(m.getNestedTypes()),
        m.getOptions().stream().sorted(BY_SCHEMA).toList(), m.getReserveds(), fields, oneOfs, m.getExtensions(),
        m.getGroups(), m.getExtendDeclarations());
  }

  private static FieldElement at(FieldElement f, Location location) {
    return f.copy(location, f.getLabel(), f.getType(), f.getName(), f.getDefaultValue(), f.getJsonName(), f.getTag(),
        f.getDocumentation(), f.getOptions().stream().sorted(BY_SCHEMA).toList());
  }

  @Override
  public List<String> readProblems(ParsedSchema writer, boolean newIsReader) {
    return SchemaDifference.messages(ProtobufCompatibility.compare((ProtobufSchema) writer, this), newIsReader);
  }
}
