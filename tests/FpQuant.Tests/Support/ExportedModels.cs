using FpQuant.Networks;
using FpQuant.Onnx;

namespace FpQuant.Tests.Support;

/// <summary>
/// The two full networks exported once per test run (seed 0, NCHW and Isaac), shared by every test class that
/// needs them: building and writing 130 MB of models per test would dominate CI time.
/// </summary>
public sealed class ExportedModels : IDisposable
{
    private readonly TempDir _dir = new();
    private readonly Dictionary<(NetworkKind, ModelLayout), string> _paths = new();
    private readonly object _lock = new();

    public string Path(NetworkKind kind, ModelLayout layout = ModelLayout.Nchw)
    {
        lock (_lock)
        {
            if (!_paths.TryGetValue((kind, layout), out var p))
            {
                p = _dir.File($"{kind.Id()}_{layout.Id()}.onnx");
                NetworkExport.Export(kind, "synthetic:0", layout, p);
                _paths[(kind, layout)] = p;
            }
            return p;
        }
    }

    public string Folder => _dir.Path;

    public void Dispose() => _dir.Dispose();
}

[CollectionDefinition(Name)]
public sealed class ModelsCollection : ICollectionFixture<ExportedModels>
{
    public const string Name = "exported full networks";
}

/// <summary>For tests that measure the whole process (GC.GetTotalAllocatedBytes counts every thread): nothing else
/// runs beside them.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class SerialModelsCollection : ICollectionFixture<ExportedModels>
{
    public const string Name = "exported full networks, alone";
}
