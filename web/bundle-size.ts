/*
 * Prints the production bundle's size after `vite build` and fails the build when what the first page loads is over
 * the budget (issue 7, point 6: under 300 KB gzipped). "The first page" is the entry chunk, the chunks it imports
 * statically and their CSS: the pages split off with React.lazy load later. The gzipped bytes are also written
 * beside each text file (name.gz), which src/http/web-ui.ts sends to browsers that accept gzip.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import type { Plugin } from 'vite';

const budgetBytes = 300 * 1024;

interface Output {
  fileName: string;
  type: 'chunk' | 'asset';
  isEntry?: boolean;
  imports?: string[];
  code?: string;
  source?: string | Uint8Array;
  viteMetadata?: { importedCss: Set<string> };
}

const gzip = (o: Output): Buffer => gzipSync(o.type === 'chunk' ? o.code ?? '' : o.source ?? '', { level: 9 });
const compressible = /\.(js|css|html|svg|json)$/;
const kb = (n: number): string => `${(n / 1024).toFixed(1)} KB`;

export function bundleSize(): Plugin {
  return {
    name: 'tidewatch-bundle-size',
    apply: 'build',
    writeBundle(options, bundle) {
      const outputs = bundle as unknown as Record<string, Output>;
      const firstPage = new Set<string>(['index.html']);
      const visit = (name: string) => {
        const o = outputs[name];
        if (!o || firstPage.has(name)) return;
        firstPage.add(name);
        for (const css of o.viteMetadata?.importedCss ?? []) firstPage.add(css);
        for (const dep of o.imports ?? []) visit(dep);
      };
      for (const o of Object.values(outputs)) if (o.isEntry) visit(o.fileName);
      let all = 0;
      let first = 0;
      for (const o of Object.values(outputs)) {
        const bytes = gzip(o);
        const size = bytes.length;
        if (options.dir && compressible.test(o.fileName)) writeFileSync(path.join(options.dir, `${o.fileName}.gz`), bytes);
        all += size;
        if (firstPage.has(o.fileName)) first += size;
      }
      const line = `web bundle: ${kb(all)} gzipped in all; first page ${kb(first)} gzipped (budget ${kb(budgetBytes)})`;
      process.stdout.write(`\n${line}\n`);
      if (first > budgetBytes) this.error(`the first page is over its budget: ${kb(first)} > ${kb(budgetBytes)} gzipped`);
    },
  };
}
