namespace FpQuant.Rendering;

internal enum MeshColorSource { Texture, VertexColors, Uniform }
