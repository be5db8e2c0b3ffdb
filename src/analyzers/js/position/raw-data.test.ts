import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { oxcParserDir } from '../../../../scripts/generate-oxc-position-walker.js';
import { DIRECTIVES, RAW_DATA } from './raw-data.js';

const deserialisers = ['js', 'ts'].map((lang) =>
  readFileSync(join(oxcParserDir(), `src-js/generated/deserialize/${lang}.js`), 'utf8'),
);

/** The body of a generated `deserialize<name>` function. */
function body(code: string, name: string): string {
  const match = new RegExp(`^function deserialize${name}\\(pos\\) \\{\\n([\\s\\S]*?)^\\}`, 'm').exec(code);
  if (!match) throw new Error(`oxc has no deserialize${name}`);
  return match[1]!;
}

describe("the offsets written by hand, against oxc's own deserialisers (JavaScript and TypeScript)", () => {
  it.each(deserialisers.map((code, i) => [['js', 'ts'][i]!, code] as const))('%s', (_lang, code) => {
    const data = body(code, 'RawTransferData');
    expect(data).toContain(`deserializeVecComment(pos + ${RAW_DATA.comments})`);
    expect(data).toContain(`deserializeVecError(pos + ${RAW_DATA.errors})`);
    expect(body(code, 'VecComment')).toContain(`* ${RAW_DATA.commentStride}`);
    expect(body(code, 'VecError')).toContain(`* ${RAW_DATA.errorStride}`);
    expect(body(code, 'VecErrorLabel')).toContain(`* ${RAW_DATA.labelStride}`);
    const error = body(code, 'Error');
    expect(error).toContain(
      `message: deserializeStr(pos${RAW_DATA.errorMessage === 0 ? '' : ` + ${RAW_DATA.errorMessage}`})`,
    );
    expect(error).toContain(`labels: deserializeVecErrorLabel(pos + ${RAW_DATA.errorLabels})`);
    expect(body(code, 'ErrorLabel')).toContain('start: deserializeI32(pos)');
    expect(body(code, 'Comment')).toContain('start = deserializeI32(pos)');
    expect(body(code, 'Program')).toContain(`deserializeVecDirective(pos + ${DIRECTIVES.Program})`);
    expect(body(code, 'FunctionBody')).toContain(`deserializeVecDirective(pos + ${DIRECTIVES.FunctionBody})`);
  });
});
