using Mono.Cecil;
using Mono.Cecil.Cil;

namespace ActorQm.Tests.Architecture;

/// <summary>
/// Which namespaces of an assembly use which, read from its IL: base types, interfaces, fields,
/// signatures, attributes and every type, method and field an instruction names (so a fully
/// qualified name counts as much as a using line). Compiler-generated nested types count for the
/// namespace of the type that holds them.
/// </summary>
internal sealed class NamespaceGraph
{
    private readonly Dictionary<string, Dictionary<string, HashSet<string>>> _edges = new(StringComparer.Ordinal);

    private NamespaceGraph(string prefix) => Prefix = prefix;

    /// <summary>The root namespace; edges are between its direct children (ActorQm.Tls, ActorQm.Channels...).</summary>
    public string Prefix { get; }

    public IEnumerable<string> Namespaces => _edges.Keys;

    /// <summary>The namespaces <paramref name="from"/> uses, each with an example of the type that uses it and what it uses.</summary>
    public IReadOnlyDictionary<string, HashSet<string>> UsesOf(string from) => _edges.TryGetValue(from, out var to) ? to : new();

    /// <summary>The graph of the namespaces under <paramref name="prefix"/> across <paramref name="assemblyPaths"/> (a namespace may span assemblies).</summary>
    public static NamespaceGraph Read(IEnumerable<string> assemblyPaths, string prefix)
    {
        var graph = new NamespaceGraph(prefix);
        foreach (var path in assemblyPaths)
        {
            using var module = ModuleDefinition.ReadModule(path);
            graph.Add(module);
        }

        return graph;
    }

    /// <summary>The namespaces an assembly defines types in (compiler-generated ones outside any namespace left out).</summary>
    public static IReadOnlySet<string> NamespacesOf(string assemblyPath)
    {
        using var module = ModuleDefinition.ReadModule(assemblyPath);
        return module.Types.Select(t => t.Namespace).Where(n => n.Length > 0).ToHashSet(StringComparer.Ordinal);
    }

    /// <summary>Examples of types of namespace <paramref name="from"/> that use a type of a namespace under <paramref name="external"/> (such as Akka).</summary>
    public static IReadOnlyList<string> UsesOf(string assemblyPath, string from, string external)
    {
        using var module = ModuleDefinition.ReadModule(assemblyPath);
        return module.GetTypes()
            .Where(t => Outermost(t).Namespace == from)
            .SelectMany(t => Referenced(t).Select(used => (t, used)))
            .Where(x => Outermost(x.used).Namespace == external || Outermost(x.used).Namespace.StartsWith(external + ".", StringComparison.Ordinal))
            .Select(x => $"{x.t.FullName} -> {x.used.FullName}")
            .Distinct()
            .Take(5)
            .ToList();
    }

    /// <summary>The names of the assemblies an assembly references.</summary>
    public static IReadOnlyList<string> ReferencesOf(string assemblyPath)
    {
        using var module = ModuleDefinition.ReadModule(assemblyPath);
        return module.AssemblyReferences.Select(r => r.Name).ToList();
    }

    private void Add(ModuleDefinition module)
    {
        var graph = this;
        foreach (var type in module.GetTypes())
        {
            var from = graph.Layer(Outermost(type).Namespace);
            if (from is null)
            {
                continue;
            }

            graph._edges.TryAdd(from, new Dictionary<string, HashSet<string>>(StringComparer.Ordinal));
            foreach (var used in Referenced(type))
            {
                var to = graph.Layer(Outermost(used).Namespace);
                if (to is not null && to != from)
                {
                    var examples = graph._edges[from].TryGetValue(to, out var e) ? e : graph._edges[from][to] = new HashSet<string>(StringComparer.Ordinal);
                    if (examples.Count < 3)
                    {
                        examples.Add($"{type.FullName} -> {used.FullName}");
                    }
                }
            }
        }
    }

    /// <summary>The direct child of the root a namespace belongs to (null: outside the root, e.g. Akka or System).</summary>
    private string? Layer(string ns)
    {
        if (ns == Prefix)
        {
            return Prefix;
        }

        if (!ns.StartsWith(Prefix + ".", StringComparison.Ordinal))
        {
            return null;
        }

        var rest = ns[(Prefix.Length + 1)..];
        var dot = rest.IndexOf('.', StringComparison.Ordinal);
        return Prefix + "." + (dot < 0 ? rest : rest[..dot]);
    }

    private static TypeReference Outermost(TypeReference type)
    {
        while (type.DeclaringType is not null)
        {
            type = type.DeclaringType;
        }

        return type;
    }

    private static IEnumerable<TypeReference> Referenced(TypeDefinition type)
    {
        if (type.BaseType is not null)
        {
            foreach (var t in Expand(type.BaseType))
            {
                yield return t;
            }
        }

        foreach (var i in type.Interfaces)
        {
            foreach (var t in Expand(i.InterfaceType))
            {
                yield return t;
            }
        }

        foreach (var a in type.CustomAttributes)
        {
            yield return a.AttributeType;
        }

        foreach (var f in type.Fields)
        {
            foreach (var t in Expand(f.FieldType))
            {
                yield return t;
            }
        }

        foreach (var p in type.Properties)
        {
            foreach (var t in Expand(p.PropertyType))
            {
                yield return t;
            }
        }

        foreach (var m in type.Methods)
        {
            foreach (var t in Signature(m))
            {
                yield return t;
            }

            if (!m.HasBody)
            {
                continue;
            }

            foreach (var v in m.Body.Variables)
            {
                foreach (var t in Expand(v.VariableType))
                {
                    yield return t;
                }
            }

            foreach (var instruction in m.Body.Instructions)
            {
                var found = instruction.Operand switch
                {
                    TypeReference t => Expand(t),
                    MethodReference r => Signature(r).Concat(Expand(r.DeclaringType)),
                    FieldReference f => Expand(f.FieldType).Concat(Expand(f.DeclaringType)),
                    _ => [],
                };
                foreach (var t in found)
                {
                    yield return t;
                }
            }
        }
    }

    private static IEnumerable<TypeReference> Signature(MethodReference m)
    {
        foreach (var t in Expand(m.ReturnType))
        {
            yield return t;
        }

        foreach (var p in m.Parameters)
        {
            foreach (var t in Expand(p.ParameterType))
            {
                yield return t;
            }
        }

        if (m is GenericInstanceMethod g)
        {
            foreach (var a in g.GenericArguments)
            {
                foreach (var t in Expand(a))
                {
                    yield return t;
                }
            }
        }
    }

    /// <summary>A type with its element type and generic arguments (List&lt;Tls.X&gt; uses Tls).</summary>
    private static IEnumerable<TypeReference> Expand(TypeReference type)
    {
        switch (type)
        {
            case GenericInstanceType g:
                yield return g.ElementType;
                foreach (var a in g.GenericArguments)
                {
                    foreach (var t in Expand(a))
                    {
                        yield return t;
                    }
                }

                break;
            case TypeSpecification s:
                foreach (var t in Expand(s.ElementType))
                {
                    yield return t;
                }

                break;
            case GenericParameter:
                break;
            default:
                yield return type;
                break;
        }
    }
}
