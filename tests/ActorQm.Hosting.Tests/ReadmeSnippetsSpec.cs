using System.Reflection;
using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace ActorQm.Hosting.Tests;

/// <summary>
/// Every C# block of the README compiles as written, its <c>using</c> lines included, as a program against the packages a
/// user installs (the hosting, cluster hosting, client and runtime assemblies of this build), so the README cannot drift
/// from the API.
/// </summary>
public sealed partial class ReadmeSnippetsSpec
{
    [GeneratedRegex(@"```csharp\n(?<body>.*?)```", RegexOptions.Singleline | RegexOptions.CultureInvariant)]
    private static partial Regex CSharpBlock();

    // What a project made by `dotnet new console` (Microsoft.NET.Sdk, ImplicitUsings enabled) imports without using lines.
    private const string ImplicitUsings = """
        global using System;
        global using System.Collections.Generic;
        global using System.IO;
        global using System.Linq;
        global using System.Net.Http;
        global using System.Threading;
        global using System.Threading.Tasks;
        """;

    private static readonly CSharpParseOptions Parse = new(LanguageVersion.Latest);

    public static TheoryData<int> Snippets()
    {
        var data = new TheoryData<int>();
        for (var i = 0; i < CSharpBlock().Matches(Readme()).Count; i++)
        {
            data.Add(i);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Snippets))]
    public void Readme_csharp_snippet_must_compile_as_written(int index)
    {
        var body = CSharpBlock().Matches(Readme())[index].Groups["body"].Value;
        var compilation = CSharpCompilation.Create(
            $"ReadmeSnippet{index}",
            [
                CSharpSyntaxTree.ParseText(body, Parse, cancellationToken: TestContext.Current.CancellationToken),
                CSharpSyntaxTree.ParseText(ImplicitUsings, Parse, cancellationToken: TestContext.Current.CancellationToken),
            ],
            References(),
            new CSharpCompilationOptions(OutputKind.ConsoleApplication, nullableContextOptions: NullableContextOptions.Enable));
        using var output = new MemoryStream();

        var result = compilation.Emit(output, cancellationToken: TestContext.Current.CancellationToken);

        var errors = result.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error).Select(d => d.ToString()).ToList();
        Assert.True(errors.Count == 0, $"README C# block {index + 1} does not compile:\n{string.Join("\n", errors)}\n---\n{body}");
    }

    [Fact]
    public void Readme_must_have_csharp_snippets_to_check() => Assert.True(CSharpBlock().Matches(Readme()).Count >= 4);

    // The framework's reference assemblies are what a user compiles against; this build's output holds ActorQm and its packages.
    private static List<MetadataReference> References()
    {
        var framework = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator);
        var build = Directory.EnumerateFiles(AppContext.BaseDirectory, "*.dll").Where(IsManaged);
        return framework.Concat(build)
            .DistinctBy(Path.GetFileName, StringComparer.OrdinalIgnoreCase)
            .Select(path => (MetadataReference)MetadataReference.CreateFromFile(path))
            .ToList();
    }

    private static bool IsManaged(string path)
    {
        try
        {
            AssemblyName.GetAssemblyName(path);
            return true;
        }
        catch (BadImageFormatException)
        {
            return false;
        }
    }

    private static string Readme()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var readme = Path.Combine(dir.FullName, "README.md");
            if (File.Exists(readme) && File.Exists(Path.Combine(dir.FullName, "ActorQm.sln")))
            {
                return File.ReadAllText(readme).ReplaceLineEndings("\n");
            }
        }

        throw new FileNotFoundException($"README.md is not above {AppContext.BaseDirectory}");
    }
}
