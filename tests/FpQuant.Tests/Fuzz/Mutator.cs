using System.Buffers.Binary;
using System.Text;

namespace FpQuant.Tests.Fuzz;

/// <summary>A seed file for a reader, with the offsets of its length/size/count fields when known (mutations aim
/// at them part of the time) and whether it is text (token-level mutations then apply too).</summary>
public sealed record FuzzSeed(string Name, byte[] Bytes, int[] Fields, bool Text = false)
{
    public static FuzzSeed Binary(string name, byte[] bytes, params int[] fields) => new(name, bytes, fields);
    public static FuzzSeed OfText(string name, string text) =>
        new(name, Encoding.UTF8.GetBytes(text), Array.Empty<int>(), true);
}

/// <summary>
/// Deterministic mutations (input i of a run is always the same bytes): bit flips, truncations, inserted, deleted and
/// duplicated bytes, length fields set to 0, -1, 2^31-1, 2^32-1 and other edge values (little- and big-endian, 4 and
/// 8 bytes), and for text formats tokens replaced by hostile ones.
/// </summary>
public static class Mutator
{
    /// <summary>Values written into length, size, count and offset fields.</summary>
    public static readonly ulong[] EdgeValues =
    {
        0, 1, 0xFFFFFFFF, 0x7FFFFFFF, 0x80000000, 0x40000000, 0x10000000, 0x08000000, 0x4000, 0xFFFF,
        0x7FFFFFFFFFFFFFFF, 0xFFFFFFFFFFFFFFFF, 0x8000000000000000,
    };

    private static readonly string[] HostileTokens =
    {
        "null", "-1", "0", "2147483647", "4294967295", "-2147483648", "9223372036854775807", "1e309", "-1e309", "NaN",
        "[]", "{}", "\"\"", "[null]", "\"x\"", "true", "\n", "\r\n", " ", "#", "/", "//", "-0", "3.5", "1e-320",
        "\"\\u0000\"",
        "element vertex 2147483647", "element face 4294967295", "property list uchar int vertex_indices",
        "property float x",
        "f 1 2 3", "f -1 -2 -3", "f 2147483647 1 2", "v 1e38 -1e38 1e38", "vt 0 0", "vn 0 0 0", "mtllib ../missing.mtl",
        "map_Kd ../../x.png", "map_Kd texture.png", "newmtl m", "usemtl m", "Kd nan 0 0", "{\"options\":null}",
    };

    public static byte[] Mutate(FuzzSeed seed, int index)
    {
        var rng = new Random(unchecked(index * 7919 + 17));
        var b = new List<byte>(seed.Bytes);
        int rounds = 1 + rng.Next(3);
        for (int r = 0; r < rounds; r++)
        {
            int kinds = seed.Text ? 9 : 7;
            switch (rng.Next(kinds))
            {
                case 0: // bit flips
                    for (int k = 1 + rng.Next(8); k > 0 && b.Count > 0; k--)
                    {
                        int at = rng.Next(b.Count);
                        b[at] ^= (byte)(1 << rng.Next(8));
                    }
                    break;
                case 1: // truncation
                    if (b.Count > 0)
                    {
                        int keep = rng.Next(b.Count);
                        b.RemoveRange(keep, b.Count - keep);
                    }
                    break;
                case 2: // inserted bytes
                {
                    int at = rng.Next(b.Count + 1), n = 1 + rng.Next(16);
                    var ins = new byte[n];
                    rng.NextBytes(ins);
                    b.InsertRange(at, ins);
                    break;
                }
                case 3: // deleted bytes
                    if (b.Count > 0)
                    {
                        int at = rng.Next(b.Count);
                        b.RemoveRange(at, Math.Min(b.Count - at, 1 + rng.Next(32)));
                    }
                    break;
                case 4:
                case 5: // length field set to an edge value
                {
                    if (b.Count < 8) break;
                    int at = seed.Fields.Length > 0
                        && rng.Next(10) < 6 ? seed.Fields[rng.Next(seed.Fields.Length)] : rng.Next(b.Count);
                    ulong v = EdgeValues[rng.Next(EdgeValues.Length)];
                    int width = rng.Next(3) switch { 0 => 8, 1 => 2, _ => 4 };
                    bool big = rng.Next(2) == 0;
                    Span<byte> w = stackalloc byte[8];
                    switch (width)
                    {
                        case 8: if (big)
                            BinaryPrimitives.WriteUInt64BigEndian(w,
                                v); else BinaryPrimitives.WriteUInt64LittleEndian(w, v); break;
                        case 4: if (big)
                            BinaryPrimitives.WriteUInt32BigEndian(w,
                                (uint)v); else BinaryPrimitives.WriteUInt32LittleEndian(w, (uint)v); break;
                        default: if (big)
                            BinaryPrimitives.WriteUInt16BigEndian(w,
                                (ushort)v); else BinaryPrimitives.WriteUInt16LittleEndian(w, (ushort)v); break;
                    }
                    for (int k = 0; k < width && at + k < b.Count; k++) b[at + k] = w[k];
                    break;
                }
                case 6: // a slice duplicated elsewhere
                    if (b.Count > 0)
                    {
                        int from = rng.Next(b.Count), n = Math.Min(b.Count - from, 1 + rng.Next(64));
                        b.InsertRange(rng.Next(b.Count + 1), b.GetRange(from, n));
                    }
                    break;
                default: // text: a token replaced by a hostile one, or a line repeated
                {
                    var text = Encoding.UTF8.GetString(b.ToArray());
                    if (rng.Next(4) == 0)
                    {
                        var lines = text.Split('\n').ToList();
                        int li = rng.Next(lines.Count);
                        lines.InsertRange(li, Enumerable.Repeat(lines[li], 1 + rng.Next(200)));
                        text = string.Join('\n', lines);
                    }
                    else
                    {
                        var spans = Tokens(text);
                        string t = HostileTokens[rng.Next(HostileTokens.Length)];
                        if (spans.Count == 0) text += t;
                        else
                        {
                            var (s, e) = spans[rng.Next(spans.Count)];
                            text = text[..s] + t + text[e..];
                        }
                    }
                    b = new List<byte>(Encoding.UTF8.GetBytes(text));
                    break;
                }
            }
        }
        return b.ToArray();
    }

    /// <summary>Runs of characters that are not blanks or JSON punctuation.</summary>
    private static List<(int, int)> Tokens(string text)
    {
        var spans = new List<(int, int)>();
        int i = 0;
        while (i < text.Length)
        {
            while (i < text.Length && IsSep(text[i])) i++;
            int s = i;
            while (i < text.Length && !IsSep(text[i])) i++;
            if (i > s) spans.Add((s, i));
        }
        return spans;
    }

    private static bool IsSep(char c) => c is ' ' or '\t' or '\n' or '\r' or ',' or ':';
}
