using System.Buffers.Binary;
using System.Globalization;
using System.IO.Compression;
using System.Runtime.InteropServices;
using FpQuant.Core;

namespace FpQuant.Checkpoints;

/// <summary>
/// A torch.save file opened for reading: the zip format (PyTorch 1.6+: data.pkl plus one entry per storage) or
/// the legacy stream format. Only the pickle is parsed on open; storages are read when a tensor is materialised,
/// so optimizer state and other entries cost nothing.
/// </summary>
internal sealed class TorchCheckpoint : IDisposable
{
    private static readonly System.Numerics.BigInteger LegacyMagic =
        // torch's 0x1950a86a20f9469cfc6c
        System.Numerics.BigInteger.Parse("119547037146038801333356", CultureInfo.InvariantCulture);
    private readonly FileStream _file;
    private readonly ZipArchive? _zip;
    private readonly string _zipPrefix = "";
    private readonly Dictionary<string, (long Offset, long Numel)> _legacyStorages = new();

    public string Path { get; }
    public string Format { get; }
    public object? Root { get; }
    public long FileBytes => _file.Length;

    /// <summary>
    /// The most bytes data.pkl may hold (FoundationPose's, optimizer state included, is well under 1 MB).
    /// </summary>
    public const long MaxPickleBytes = 256L << 20;

    private TorchCheckpoint(string path)
    {
        Path = path;
        if (!File.Exists(path))
            throw new FpQuantException(
                $"checkpoint '{path}' does not exist; pass a FoundationPose model_best.pth or synthetic:SEED");
        try { _file = File.OpenRead(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new FpQuantException($"cannot read checkpoint '{path}': {e.Message}", e);
        }
        try
        {
            Span<byte> head = stackalloc byte[4];
            int n = _file.ReadAtLeast(head, 4, throwOnEndOfStream: false);
            _file.Position = 0;
            if (n == 4 && head[0] == 'P' && head[1] == 'K' && head[2] == 3 && head[3] == 4)
            {
                Format = "zip";
                (_zip, _zipPrefix, Root) = Guarded("is not a complete torch.save archive",
                    "the file is probably truncated: copy or download it again", OpenZip);
            }
            else if (n >= 2 && head[0] == 0x80 && head[1] <= 5)
            {
                Format = "legacy";
                Root = Guarded("cannot be read as a legacy torch.save file", "the file is damaged: copy it again",
                    ReadLegacy);
            }
            else
            {
                throw new FpQuantException($"'{path}' is not a PyTorch checkpoint (neither torch.save's zip format " +
                    $"nor its legacy format); pass a .pth written by torch.save");
            }
        }
        catch
        {
            _zip?.Dispose();
            _file.Dispose();
            throw;
        }
    }

    private (ZipArchive, string, object?) OpenZip()
    {
        var zip = new ZipArchive(_file, ZipArchiveMode.Read, leaveOpen: true);
        try
        {
            var pkl = zip.Entries.FirstOrDefault(e => e.FullName.EndsWith("data.pkl", StringComparison.Ordinal)
                && e.FullName.Count(c => c == '/') == 1)
                ?? throw new FpQuantException($"checkpoint '{Path}' is a zip file without a data.pkl: not a " +
                    $"torch.save checkpoint");
            string prefix = pkl.FullName[..^"data.pkl".Length];
            CheckEntrySize(pkl, pkl.Length, "its data.pkl");
            if (pkl.Length > MaxPickleBytes)
                throw new FpQuantException($"checkpoint '{Path}': its data.pkl claims {pkl.Length} bytes, more than " +
                    $"the {MaxPickleBytes >> 20} MiB a state_dict's pickle could need");
            var ms = new MemoryStream((int)pkl.Length);
            using (var ps = pkl.Open())
            {
                // Bounded copy: an entry that inflates to more than it declares is damaged, not trusted.
                var buf = new byte[81920];
                int r;
                while ((r = ps.Read(buf, 0, (int)Math.Min(buf.Length, pkl.Length + 1 - ms.Length))) > 0)
                {
                    ms.Write(buf, 0, r);
                    if (ms.Length > pkl.Length) break;
                }
            }
            if (ms.Length != pkl.Length)
                throw new FpQuantException($"checkpoint '{Path}': data.pkl holds {ms.Length} bytes but its zip entry " +
                    $"declares {pkl.Length}; the file is damaged");
            ms.Position = 0;
            return (zip, prefix, new PickleReader(ms, Path, PersistentLoad).Load());
        }
        catch
        {
            zip.Dispose();
            throw;
        }
    }

    /// <summary>An entry's declared size must be one the file can hold: stored entries no larger than the file,
    /// compressed ones within deflate's ratio (about 1032:1) of their compressed bytes.</summary>
    private void CheckEntrySize(ZipArchiveEntry e, long needed, string what)
    {
        if (e.CompressedLength < 0 || e.CompressedLength > _file.Length || e.Length < 0
            || e.Length > Math.Max(e.CompressedLength, 0) * 1040L + 1024)
            throw new FpQuantException($"checkpoint '{Path}': the zip entry of {what} declares {e.Length} bytes from " +
                $"{e.CompressedLength} compressed, which the {_file.Length}-byte file cannot hold; the file is " +
                $"damaged");
        if (e.Length < needed)
            throw new FpQuantException($"checkpoint '{Path}': {what} has {e.Length} bytes, expected {needed}");
    }

    /// <summary>Runs a step of reading the file, turning every error of the zip, stream and parsing layers into one
    /// FpQuantException naming the file (FpQuantExceptions pass through unchanged).</summary>
    private T Guarded<T>(string what, string advice, Func<T> step)
    {
        try { return step(); }
        catch (Exception e) when (IsDataError(e))
        {
            throw new FpQuantException($"checkpoint '{Path}' {what} ({e.GetType().Name}: {e.Message}); {advice}", e);
        }
    }

    private static bool IsDataError(Exception e) => e is InvalidDataException or IOException or NotSupportedException
        or ArgumentException or OverflowException or FormatException or IndexOutOfRangeException or InvalidCastException
        or System.Text.DecoderFallbackException;

    public static TorchCheckpoint Open(string path) => new(path);

    /// <summary>
    /// Reads a checkpoint's state_dict (plain, or the 'model' entry of a training checkpoint) as float32.
    /// </summary>
    public static StateDict LoadStateDict(string path)
    {
        using var ck = Open(path);
        return ck.ReadStateDict();
    }

    private TorchStorageRef PersistentLoad(object? pid)
    {
        // ('storage', storage_type, key, location, numel[, view_metadata])
        if (pid is not object?[] t || t.Length < 5 || t[0] as string != "storage" || t[1] is not PickleGlobal type
            || t[2] is not string key)
            throw new FpQuantException($"checkpoint '{Path}': unexpected persistent id in the pickle; not a " +
                $"torch.save checkpoint");
        if (t.Length > 5 && t[5] != null)
            throw new FpQuantException($"checkpoint '{Path}': storage views of the pre-1.0 format are not supported; " +
                $"re-save the checkpoint with a current torch.save");
        if (!type.Name.EndsWith("Storage", StringComparison.Ordinal) || type.Module != "torch")
            throw new FpQuantException($"checkpoint '{Path}': storage '{ErrorText.Quote(key)}' has type " +
                $"'{ErrorText.Quote(type.FullName)}', which is not a torch storage type");
        if (t[4] is not long numel || numel < 0 || numel > TorchStorageRef.MaxNumel)
            throw new FpQuantException($"checkpoint '{Path}': storage '{ErrorText.Quote(key)}' claims " +
                $"{ErrorText.Quote(t[4]?.ToString() ?? "None")} elements; the file is damaged");
        return new TorchStorageRef(key, TorchDTypes.FromStorageType(type.Name), numel, t[3] as string ?? "cpu");
    }

    private object? ReadLegacy()
    {
        var reader = new PickleReader(_file, Path, PersistentLoad);
        var magic = reader.Load();
        bool ok = magic is System.Numerics.BigInteger big && big == LegacyMagic;
        if (!ok)
            throw new FpQuantException(
                $"'{Path}' starts with a pickle but is not a torch.save checkpoint (no torch magic number)");
        if (reader.Load() is not long protocol || protocol != 1001)
            throw new FpQuantException($"checkpoint '{Path}': legacy protocol version is not 1001; re-save it with " +
                $"torch.save in PyTorch 1.6 or later");
        if (reader.Load() is PickleDict sys && sys.TryGet("little_endian", out var le) && le is false)
            throw new FpQuantException(
                $"checkpoint '{Path}' was written big-endian; re-save it on a little-endian machine");
        var root = reader.Load();
        if (reader.Load() is not List<object?> keys)
            throw new FpQuantException(
                $"checkpoint '{Path}': the legacy storage list is missing (the file is truncated?)");
        // Storages follow one after another: an int64 element count, then the raw elements.
        var sizes = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var s in CollectStorages(root)) sizes.TryAdd(s.Key, TorchDTypes.Size(s.DType));
        Span<byte> head = stackalloc byte[8];
        foreach (var item in keys)
        {
            if (item is not string k)
                throw new FpQuantException($"checkpoint '{Path}': the legacy storage list holds a {Describe(item)} " +
                    $"where a storage key belongs; the file is damaged");
            if (_file.ReadAtLeast(head, 8, throwOnEndOfStream: false) != 8)
                throw new FpQuantException($"checkpoint '{Path}' is truncated inside its storages; copy it again");
            long numel = BinaryPrimitives.ReadInt64LittleEndian(head);
            long elem = sizes.TryGetValue(k, out var sz) ? sz : 4;
            long left = _file.Length - _file.Position;
            if (numel < 0 || numel > left / elem)
                throw new FpQuantException($"checkpoint '{Path}': legacy storage '{ErrorText.Quote(k)}' claims " +
                    $"{numel} elements but {left} bytes remain; the file is truncated or damaged");
            _legacyStorages[k] = (_file.Position, numel);
            _file.Seek(numel * elem, SeekOrigin.Current);
        }
        return root;
    }

    // ---- structure ----

    /// <summary>
    /// The state_dict inside the checkpoint: the root itself, or its 'model' (or 'state_dict') entry.
    /// </summary>
    public (string Where, List<(string Key, TorchTensorRef Tensor)> Tensors) FindStateDict()
    {
        if (Root is not PickleDict root)
            throw new FpQuantException($"checkpoint '{Path}' holds a {Describe(Root)}, not a dict; expected a " +
                $"state_dict or {{'model': state_dict}}");
        if (IsTensorDict(root)) return ("(root)", TensorEntries(root));
        foreach (var name in new[] { "model", "state_dict" })
            if (root.TryGet(name, out var m) && m is PickleDict md && IsTensorDict(md))
                return ($"'{name}'", TensorEntries(md));
        throw new FpQuantException(
            $"checkpoint '{Path}' has no state_dict: its {root.Items.Count} entries are {string.Join(", ", root.Items.Take(12).Select(i => ErrorText.Quote(i.Key?.ToString())))}{(root.Items.Count > 12 ? ", ..." : "")}; expected tensors at the top level or under 'model'");
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

    /// <summary>Every tensor anywhere in the pickle with its path, for inspect. Each container is visited once, with
    /// an explicit stack: shared containers cannot multiply the walk and nesting cannot exhaust the call
    /// stack.</summary>
    public IEnumerable<(string Path, TorchTensorRef Tensor)> AllTensors() => Walk(Root);

    private static IEnumerable<(string, TorchTensorRef)> Walk(object? root)
    {
        var seen = new HashSet<object>(ReferenceEqualityComparer.Instance);
        var todo = new Stack<(object? Node, string Path)>();
        todo.Push((root, ""));
        while (todo.Count > 0)
        {
            var (o, path) = todo.Pop();
            if (o is TorchTensorRef t) { yield return (path, t); continue; }
            if (o is null || !seen.Add(o)) continue;
            var children = new List<(object?, string)>();
            switch (o)
            {
                case PickleDict d:
                    foreach (var kv in d.Items)
                        children.Add((kv.Value, path.Length == 0 ? $"{kv.Key}" : $"{path}.{kv.Key}"));
                    break;
                case List<object?> l:
                    for (int i = 0; i < l.Count; i++) children.Add((l[i], $"{path}[{i}]"));
                    break;
                case object?[] a:
                    for (int i = 0; i < a.Length; i++) children.Add((a[i], $"{path}[{i}]"));
                    break;
            }
            // Pushed in reverse so the walk yields in document order.
            for (int i = children.Count - 1; i >= 0; i--) todo.Push(children[i]);
        }
    }

    private static IEnumerable<TorchStorageRef> CollectStorages(object? root) =>
        Walk(root).Select(t => t.Item2.Storage).DistinctBy(s => s.Key);

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
        // Storages shared by several tensors are read once; a storage nothing still needs is dropped.
        var remaining = tensors.GroupBy(t => t.Tensor.Storage.Key).ToDictionary(g => g.Key, g => g.Count());
        foreach (var (key, t) in tensors)
        {
            var skey = t.Storage.Key;
            if (remaining[skey] == 1 && !cache.ContainsKey(skey) && IsWholeContiguousFloat(t))
            {
                // The common case: a float32 tensor owning its storage is read straight into its array (no copy).
                CheckStorageFits(t.Storage, key);
                var data = new float[t.Numel];
                ReadStorageInto(t.Storage, key, MemoryMarshal.AsBytes(data.AsSpan()));
                sd.Add(key, new FloatTensor(t.Size.Select(d => (int)d).ToArray(), data));
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
        CheckStorageFits(s, forTensor);
        var buf = GC.AllocateUninitializedArray<byte>((int)s.Bytes);
        ReadStorageInto(s, forTensor, buf);
        return buf;
    }

    /// <summary>Refuses a storage the file cannot hold before anything is allocated for it.</summary>
    private void CheckStorageFits(TorchStorageRef s, string forTensor)
    {
        if (s.Bytes > Array.MaxLength)
            throw new FpQuantException($"checkpoint '{Path}': storage '{ErrorText.Quote(s.Key)}' of tensor " +
                $"'{ErrorText.Quote(forTensor)}' claims {s.Bytes} bytes, more than fpquant reads into one array");
        if (_zip != null)
        {
            var entry =
                Guarded("cannot be read", "the file is damaged", () => _zip.GetEntry($"{_zipPrefix}data/{s.Key}"))
                ?? throw new FpQuantException($"checkpoint '{Path}': tensor '{ErrorText.Quote(forTensor)}' needs " +
                    $"storage '{ErrorText.Quote(s.Key)}', which the archive lacks (truncated or damaged file)");
            CheckEntrySize(entry, s.Bytes,
                $"storage '{ErrorText.Quote(s.Key)}' of tensor '{ErrorText.Quote(forTensor)}'");
        }
        else
        {
            if (!_legacyStorages.TryGetValue(s.Key, out var stored))
                throw new FpQuantException($"checkpoint '{Path}': tensor '{ErrorText.Quote(forTensor)}' needs " +
                    $"storage '{ErrorText.Quote(s.Key)}', which the file lacks");
            if (stored.Numel < s.Numel)
                throw new FpQuantException($"checkpoint '{Path}': storage '{ErrorText.Quote(s.Key)}' of tensor " +
                    $"'{ErrorText.Quote(forTensor)}' holds {stored.Numel} elements, expected {s.Numel}");
        }
    }

    private void ReadStorageInto(TorchStorageRef s, string forTensor, Span<byte> buf)
    {
        if (_zip != null)
        {
            var entry = _zip.GetEntry($"{_zipPrefix}data/{s.Key}")!;
            try
            {
                using var es = entry.Open();
                es.ReadExactly(buf);
            }
            catch (Exception e) when (IsDataError(e))
            {
                throw new FpQuantException($"checkpoint '{Path}': storage '{ErrorText.Quote(s.Key)}' of tensor " +
                    $"'{ErrorText.Quote(forTensor)}' cannot be read ({e.Message}); the file is damaged", e);
            }
        }
        else
        {
            try
            {
                _file.Position = _legacyStorages[s.Key].Offset;
                _file.ReadExactly(buf);
            }
            catch (Exception e) when (IsDataError(e))
            {
                throw new FpQuantException($"checkpoint '{Path}' is truncated inside storage " +
                    $"'{ErrorText.Quote(s.Key)}'", e);
            }
        }
    }

    /// <summary>Gathers a strided view (any offset and strides, stride 0 included) into a dense float32 tensor.
    /// Sizes, strides and offset were checked when the pickle was read (<see cref="PickleReader"/>).</summary>
    public FloatTensor Materialize(TorchTensorRef t, byte[] storage, string key)
    {
        int rank = t.Size.Length;
        if (t.Stride.Length != rank)
            throw new FpQuantException($"checkpoint '{Path}': tensor '{ErrorText.Quote(key)}' has {rank} sizes but " +
                $"{t.Stride.Length} strides");
        long n = t.Numel;
        Int128 maxIndex = t.Offset;
        for (int d = 0; d < rank; d++)
            if (t.Size[d] > 0) maxIndex += (Int128)(t.Size[d] - 1) * t.Stride[d];
        long storageElems = storage.Length / TorchDTypes.Size(t.DType);
        if (n > 0 && (t.Offset < 0 || maxIndex >= storageElems))
            throw new FpQuantException($"checkpoint '{Path}': tensor '{ErrorText.Quote(key)}' reaches element " +
                $"{maxIndex} of a storage of {storageElems}");
        // A broadcast view (stride 0) may name more elements than its storage holds, but not without bound: at most
        // 2^20, or 16 per byte of the file (the compact FoundationPose checkpoints expand 4,608 values to 1.2 M).
        if (n > Math.Max(storageElems, Math.Max(MaxBroadcastElements, 16 * _file.Length)))
            throw new FpQuantException($"checkpoint '{Path}': tensor '{ErrorText.Quote(key)}' expands {storageElems} " +
                $"stored elements to {n}; save it with .contiguous()");
        var shape = t.Size.Select(d => (int)d).ToArray();
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

    /// <summary>The most elements a broadcast (stride-0) view may always expand to beyond its storage.</summary>
    public const long MaxBroadcastElements = 1 << 20;

    public void Dispose()
    {
        _zip?.Dispose();
        _file.Dispose();
    }
}
