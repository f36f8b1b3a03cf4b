/** A refusal or failure in the refuser's own words, one line each. */
export function Refusal({ lines }: { lines: readonly string[] }) {
  return (
    <div className="refusal" role="alert">
      {lines.map((l, i) => (
        <div key={i}>{l}</div>
      ))}
    </div>
  );
}
