using System.Buffers.Binary;
using System.IO.Compression;
using System.Runtime.InteropServices;
using FpQuant.Core;

namespace FpQuant.Checkpoints;

/// <summary>
/// A torch.save file opened for reading: the zip format (PyTorch 1.6+: data.pkl plus one entry per storage) or
/// the legacy stream format. Only the pickle is parsed on open; storages are read when a tensor is materialised,
/// so optimizer state and other entries cost nothing.
/// </summary>
public sealed class TorchCheckpoint : IDisposable
{
    private static readonly System.Numerics.BigInteger LegacyMagic = System.Numerics.BigInteger.Parse("119547037146038801333356"); // torch's 0x1950a86a20f9469cfc6c
    private readonly FileStream _file;
    private readonly ZipArchive? _zip;
    private readonly string _zipPrefix = "";
    private readonly Dictionary<string, long> _legacyOffsets = new();

    public string Path { get; }
    public string Format { get; }
    public object? Root { get; }
    public long FileBytes => _file.Length;

    private TorchCheckpoint(string path)
    {
        Path = path;
        if (!File.Exists(path))
            throw new FpQuantException($"checkpoint '{path}' does not exist; pass a FoundationPose model_best.pth or synthetic:SEED");
        _file = File.OpenRead(path);
        try
        {
            Span<byte> head = stackalloc byte[4];
            int n = _file.Read(head);
            _file.Position = 0;
            if (n == 4 && head[0] == 'P' && head[1] == 'K' && head[2] == 3 && head[3] == 4)
            {
                Format = "zip";
                try { _zip = new ZipArchive(_file, ZipArchiveMode.Read, leaveOpen: true); }
                catch (InvalidDataException e)
                {
                    throw new FpQuantException($"checkpoint '{path}' is not a complete torch.save archive ({e.Message}); the file is probably truncated: copy or download it again", e);
                }
                var pkl = _zip.Entries.FirstOrDefault(e => e.FullName.EndsWith("data.pkl", StringComparison.Ordinal) && e.FullName.Count(c => c == '/') == 1)
                    ?? throw new FpQuantException($"checkpoint '{path}' is a zip file without a data.pkl: not a torch.save checkpoint");
                _zipPrefix = pkl.FullName[..^"data.pkl".Length];
                using var ps = pkl.Open();
                using var ms = new MemoryStream();
                ps.CopyTo(ms);
                ms.Position = 0;
                Root = new PickleReader(ms, path, PersistentLoad).Load();
            }
            else if (n >= 2 && head[0] == 0x80 && head[1] <= 5)
            {
                Format = "legacy";
                Root = ReadLegacy();
            }
            else
            {
                throw new FpQuantException($"'{path}' is not a PyTorch checkpoint (neither torch.save's zip format nor its legacy format); pass a .pth written by torch.save");
            }
        }
        catch
        {
            _zip?.Dispose();
            _file.Dispose();
            throw;
        }
    }

    public static TorchCheckpoint Open(string path) => new(path);

    /// <summary>Reads a checkpoint's state_dict (plain, or the 'model' entry of a training checkpoint) as float32.</summary>
    public static StateDict LoadStateDict(string path)
    {
        using var ck = Open(path);
        return ck.ReadStateDict();
    }

    private object? PersistentLoad(object? pid)
    {
        // ('storage', storage_type, key, location, numel[, view_metadata])
        if (pid is not object?[] t || t.Length < 5 || t[0] as string != "storage" || t[1] is not PickleGlobal type || t[2] is not string key)
            throw new FpQuantException($"checkpoint '{Path}': unexpected persistent id in the pickle; not a torch.save checkpoint");
        if (t.Length > 5 && t[5] != null)
            throw new FpQuantException($"checkpoint '{Path}': storage views of the pre-1.0 format are not supported; re-save the checkpoint with a current torch.save");
        return new TorchStorageRef(key, TorchDTypes.FromStorageType(type.Name), t[4] is long n ? n : 0, t[3] as string ?? "cpu");
    }

    private object? ReadLegacy()
    {
        var reader = new PickleReader(_file, Path, PersistentLoad);
        var magic = reader.Load();
        bool ok = magic is System.Numerics.BigInteger big && big == LegacyMagic;
        if (!ok) throw new FpQuantException($"'{Path}' starts with a pickle but is not a torch.save checkpoint (no torch magic number)");
        if (reader.Load() is not long protocol || protocol != 1001)
            throw new FpQuantException($"checkpoint '{Path}': legacy protocol version is not 1001; re-save it with torch.save in PyTorch 1.6 or later");
        if (reader.Load() is PickleDict sys && sys.TryGet("little_endian", out var le) && le is false)
            throw new FpQuantException($"checkpoint '{Path}' was written big-endian; re-save it on a little-endian machine");
        var root = reader.Load();
        if (reader.Load() is not List<object?> keys)
            throw new FpQuantException($"checkpoint '{Path}': the legacy storage list is missing (the file is truncated?)");
        // Storages follow one after another: an int64 element count, then the raw elements.
        var sizes = CollectStorages(root).ToDictionary(s => s.Key, s => (long)TorchDTypes.Size(s.DType));
        Span<byte> head = stackalloc byte[8];
        foreach (var k in keys.Cast<string>())
        {
            if (_file.Read(head) != 8) throw new FpQuantException($"checkpoint '{Path}' is truncated inside its storages; copy it again");
            long numel = BinaryPrimitives.ReadInt64LittleEndian(head);
            _legacyOffsets[k] = _file.Position;
            long elem = sizes.TryGetValue(k, out var sz) ? sz : 4;
            _file.Seek(numel * elem, SeekOrigin.Current);
        }
        if (_file.Position > _file.Length) throw new FpQuantException($"checkpoint '{Path}' is truncated inside its storages; copy it again");
        return root;
    }

    // ---- structure ----

    /// <summary>The state_dict inside the checkpoint: the root itself, or its 'model' (or 'state_dict') entry.</summary>
    public (string Where, List<(string Key, TorchTensorRef Tensor)> Tensors) FindStateDict()
    {
        if (Root is not PickleDict root)
            throw new FpQuantException($"checkpoint '{Path}' holds a {Describe(Root)}, not a dict; expected a state_dict or {{'model': state_dict}}");
        if (IsTensorDict(root)) return ("(root)", TensorEntries(root));
        foreach (var name in new[] { "model", "state_dict" })
            if (root.TryGet(name, out var m) && m is PickleDict md && IsTensorDict(md))
                return ($"'{name}'", TensorEntries(md));
        throw new FpQuantException($"checkpoint '{Path}' has no state_dict: its entries are {string.Join(", ", root.Items.Select(i => i.Key?.ToString()))}; expected tensors at the top level or under 'model'");
    }

    private static bool IsTensorDict(PickleDict d) =>
        d.Items.Count > 0 && d.Items.All(i => i.Key is string && i.Value is TorchTensorRef);

    private static List<(string, TorchTensorRef)> TensorEntries(PickleDict d)
    {
        var list = d.Items.Select(i => ((string)i.Key!, (TorchTensorRef)i.Value!)).ToList();
        // Checkpoints saved from nn.DataParallel prefix every key with 'module.'.
        if (list.Count > 0 && list.All(x => x.Item1.StartsWith("module.", StringComparison.Ordinal)))
            list = list.Select(x => (x.Item1["module.".Length..], x.Item2)).ToList();
        return list;
    }

    /// <summary>Every tensor anywhere in the pickle with its path, for inspect.</summary>
    public IEnumerable<(string Path, TorchTensorRef Tensor)> AllTensors() => Walk(Root, "");

    private static IEnumerable<(string, TorchTensorRef)> Walk(object? o, string path)
    {
        switch (o)
        {
            case TorchTensorRef t: yield return (path, t); break;
            case PickleDict d:
                foreach (var kv in d.Items)
                    foreach (var x in Walk(kv.Value, path.Length == 0 ? $"{kv.Key}" : $"{path}.{kv.Key}")) yield return x;
                break;
            case List<object?> l:
                for (int i = 0; i < l.Count; i++) foreach (var x in Walk(l[i], $"{path}[{i}]")) yield return x;
                break;
            case object?[] a:
                for (int i = 0; i < a.Length; i++) foreach (var x in Walk(a[i], $"{path}[{i}]")) yield return x;
                break;
        }
    }

    private static IEnumerable<TorchStorageRef> CollectStorages(object? root) =>
        Walk(root, "").Select(t => t.Item2.Storage).DistinctBy(s => s.Key);

    public static string Describe(object? o) => o switch
    {
        null => "None",
        PickleDict => "dict",
        List<object?> => "list",
        object?[] => "tuple",
        _ => o.GetType().Name,
    };

    // ---- data ----

    public StateDict ReadStateDict()
    {
        var (_, tensors) = FindStateDict();
        var sd = new StateDict();
        var cache = new Dictionary<string, byte[]>();
        // Storages shared by several tensors are read once; a storage no longer needed is dropped.
        var remaining = tensors.GroupBy(t => t.Tensor.Storage.Key).ToDictionary(g => g.Key, g => g.Count());
        foreach (var (key, t) in tensors)
        {
            var skey = t.Storage.Key;
            if (remaining[skey] == 1 && !cache.ContainsKey(skey) && IsWholeContiguousFloat(t))
            {
                // The common case: a float32 tensor owning its storage is read straight into its array (no copy).
                var data = new float[t.Numel];
                ReadStorageInto(t.Storage, key, System.Runtime.InteropServices.MemoryMarshal.AsBytes(data.AsSpan()));
                sd.Add(key, new FloatTensor(t.Size.Select(d => checked((int)d)).ToArray(), data));
                remaining[skey] = 0;
                continue;
            }
            if (!cache.TryGetValue(skey, out var bytes)) cache[skey] = bytes = ReadStorage(t.Storage, key);
            sd.Add(key, Materialize(t, bytes, key));
            if (--remaining[skey] == 0) cache.Remove(skey);
        }
        return sd;
    }

    private static bool IsWholeContiguousFloat(TorchTensorRef t) =>
        t.DType == TorchDType.Float32 && t.Offset == 0 && t.Numel == t.Storage.Numel && t.IsContiguous;

    public byte[] ReadStorage(TorchStorageRef s, string forTensor)
    {
        var buf = GC.AllocateUninitializedArray<byte>(checked((int)s.Bytes));
        ReadStorageInto(s, forTensor, buf);
        return buf;
    }

    private void ReadStorageInto(TorchStorageRef s, string forTensor, Span<byte> buf)
    {
        long bytes = s.Bytes;
        if (_zip != null)
        {
            var entry = _zip.GetEntry($"{_zipPrefix}data/{s.Key}")
                ?? throw new FpQuantException($"checkpoint '{Path}': tensor '{forTensor}' needs storage '{s.Key}', which the archive lacks (truncated or damaged file)");
            if (entry.Length < bytes)
                throw new FpQuantException($"checkpoint '{Path}': storage '{s.Key}' of tensor '{forTensor}' has {entry.Length} bytes, expected {bytes}");
            using var es = entry.Open();
            try { es.ReadExactly(buf); }
            catch (Exception e) when (e is EndOfStreamException or InvalidDataException)
            {
                throw new FpQuantException($"checkpoint '{Path}': storage '{s.Key}' of tensor '{forTensor}' cannot be read ({e.Message}); the file is damaged", e);
            }
        }
        else
        {
            if (!_legacyOffsets.TryGetValue(s.Key, out long off))
                throw new FpQuantException($"checkpoint '{Path}': tensor '{forTensor}' needs storage '{s.Key}', which the file lacks");
            _file.Position = off;
            try { _file.ReadExactly(buf); }
            catch (EndOfStreamException e) { throw new FpQuantException($"checkpoint '{Path}' is truncated inside storage '{s.Key}'", e); }
        }
    }

    /// <summary>Gathers a strided view (any offset and strides, stride 0 included) into a dense float32 tensor.</summary>
    public FloatTensor Materialize(TorchTensorRef t, byte[] storage, string key)
    {
        int rank = t.Size.Length;
        if (t.Stride.Length != rank)
            throw new FpQuantException($"checkpoint '{Path}': tensor '{key}' has {rank} sizes but {t.Stride.Length} strides");
        long n = t.Numel;
        long maxIndex = t.Offset + Enumerable.Range(0, rank).Sum(d => t.Size[d] > 0 ? (t.Size[d] - 1) * t.Stride[d] : 0);
        long storageElems = storage.Length / TorchDTypes.Size(t.DType);
        if (n > 0 && (t.Offset < 0 || maxIndex >= storageElems))
            throw new FpQuantException($"checkpoint '{Path}': tensor '{key}' reaches element {maxIndex} of a storage of {storageElems}");
        var shape = t.Size.Select(d => checked((int)d)).ToArray();
        var data = new float[n];
        if (t.IsContiguous && t.DType == TorchDType.Float32)
        {
            MemoryMarshal.Cast<byte, float>(storage.AsSpan((int)(t.Offset * 4), (int)(n * 4))).CopyTo(data);
            return new FloatTensor(shape, data);
        }
        var idx = new long[rank];
        long pos = t.Offset;
        for (long i = 0; i < n; i++)
        {
            data[i] = TorchDTypes.ReadAsFloat(storage, pos, t.DType);
            for (int d = rank - 1; d >= 0; d--)
            {
                idx[d]++;
                pos += t.Stride[d];
                if (idx[d] < t.Size[d]) break;
                pos -= t.Stride[d] * t.Size[d];
                idx[d] = 0;
            }
        }
        return new FloatTensor(shape, data);
    }

    public void Dispose()
    {
        _zip?.Dispose();
        _file.Dispose();
    }
}
