import { renderToString } from 'preact-render-to-string';
import { describe, expect, it } from 'vitest';
import { scoreCvss } from '../../src/domain/severity/cvss.js';
import { valueWords } from '../../src/domain/severity/cvss-words.js';
import { CvssCalculator, type CvssCalculatorProps } from '../../src/http/views/cvss-calculator.js';

const v31 = 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:P';
const v40 = 'CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/E:U/CR:L';

function render(props: Partial<CvssCalculatorProps> & Pick<CvssCalculatorProps, 'version'>): string {
  return renderToString(
    <CvssCalculator vector={null} action="/p/acme/cases/1/cvss" csrfToken="tok" savedVector={null} {...props} />,
  );
}

/** The markup of one element: the first `<tag ...attr...>` up to its closing tag (no nesting of the same tag). */
function element(html: string, tag: string, attr: string): string {
  const match = new RegExp(`<${tag}[^>]*${attr}[^>]*>[\\s\\S]*?</${tag}>`).exec(html);
  if (!match) throw new Error(`no <${tag} ${attr}>`);
  return match[0];
}
const text = (html: string) =>
  html
    .replace(/<[^>]+>/g, '')
    .replace(/&amp;/g, '&')
    .replace(/\s+/g, ' ')
    .trim();

describe('CvssCalculator without JavaScript', () => {
  it('shows the vector, every score and the chosen values with their explanations', () => {
    const score = scoreCvss(v31);
    const html = render({ version: '3.1', vector: v31, score, savedVector: v31 });
    expect(text(element(html, 'output', 'data-cvss-vector'))).toBe(v31);
    expect(text(element(html, 'dd', 'data-cvss-score="base"'))).toBe('9.8 Critical');
    expect(text(element(html, 'dd', 'data-cvss-score="temporal"'))).toBe(
      `${score.temporal?.score.toFixed(1)} ${score.temporal?.rating}`,
    );
    expect(text(element(html, 'dd', 'data-cvss-score="environmental"'))).toBe('—');
    expect(element(html, 'dd', 'data-cvss-score="overall"')).toContain('class="badge sev-critical"');
    expect(text(element(html, 'span', 'data-cvss-saved-state'))).toBe('Saved');

    const av = element(html, 'fieldset', 'data-cvss-metric="AV"');
    expect(av).toContain('<legend>Attack Vector <span class="cvss-key">(AV)</span></legend>');
    expect(av).toMatch(/<input type="radio" id="cvss31-AV-N" name="m_AV" value="N" checked/);
    expect(text(element(av, 'p', 'data-cvss-explain="AV"'))).toBe(valueWords('3.1', 'AV', 'N').explanation);
    // A group other than base: Not Defined until chosen, and open when something in it is.
    expect(element(html, 'fieldset', 'data-cvss-metric="RL"')).toMatch(/value="X" checked/);
    expect(html).toMatch(/<details class="cvss-group" data-cvss-group="temporal" open/);
    expect(html).toMatch(/<details class="cvss-group" data-cvss-group="environmental">/);
    expect(html).toContain('name="intent" value="clear"');
  });

  it('carries what the script needs in data attributes', () => {
    const html = render({ version: '4.0', vector: v40, score: scoreCvss(v40), savedVector: null });
    const form = /<form[^>]*>/.exec(html)?.[0] ?? '';
    expect(form).toContain('data-cvss="4.0"');
    expect(form).toContain('data-cvss-prefix="CVSS:4.0/"');
    expect(form).toContain('data-cvss-api="/api/v1/cvss"');
    expect(form).toContain('data-cvss-base="AV AC AT PR UI VC VI VA SC SI SA"');
    expect(form).toMatch(/data-cvss-order="AV AC AT PR UI VC VI VA SC SI SA E CR IR AR MAV .* U"/);
    expect(html).toContain(`data-explain="${valueWords('4.0', 'UI', 'P').explanation}"`);
    expect(text(element(html, 'dd', 'data-cvss-score="overall"'))).toMatch(/^\d+\.\d \w+ CVSS-BTE$/);
    expect(text(element(html, 'dd', 'data-cvss-score="threat"'))).toMatch(/^\d+\.\d \w+$/);
    expect(text(element(html, 'span', 'data-cvss-saved-state'))).toBe('Not saved yet');
    expect(html).not.toContain('value="clear"');
    expect(html).toContain('<input type="hidden" name="_csrf" value="tok"/>');
    expect(html).toContain('<input type="hidden" name="version" value="4.0"/>');
  });

  it('starts empty with nothing chosen and no scores', () => {
    const html = render({ version: '3.1' });
    expect(text(element(html, 'output', 'data-cvss-vector'))).toBe('No metrics chosen yet');
    expect(text(element(html, 'dd', 'data-cvss-score="overall"'))).toBe('—');
    expect(element(html, 'fieldset', 'data-cvss-metric="AV"')).not.toContain('checked');
    expect(text(element(html, 'p', 'data-cvss-explain="AV"'))).toBe('Not chosen yet.');
  });

  it('shows an error beside the metric it names, keeping the radios, the paste and the reason', () => {
    const html = render({
      version: '3.1',
      vector: 'CVSS:3.1/AV:N/AC:L/UI:N/S:U/C:H/I:H/A:H',
      error: { message: 'Privileges Required (PR) is required.', field: 'PR' },
      reason: 'Seen <in> the wild',
      pasted: 'CVSS:3.1/AV:Q',
    });
    const pr = element(html, 'fieldset', 'data-cvss-metric="PR"');
    expect(pr).toContain('class="cvss-metric invalid"');
    expect(pr).toMatch(/aria-describedby="[^"]*cvss31-PR-error"/);
    expect(text(element(pr, 'p', 'data-cvss-error-for="PR"'))).toBe('Privileges Required (PR) is required.');
    expect(element(html, 'p', 'data-cvss-error-for="AV"')).toContain('hidden');
    expect(element(html, 'p', 'data-cvss-error="true"')).toContain('hidden');
    expect(element(html, 'fieldset', 'data-cvss-metric="AV"')).toMatch(/value="N" checked/);
    expect(html).toContain('value="CVSS:3.1/AV:Q"');
    expect(html).toContain('Seen &lt;in> the wild</textarea>');
  });

  it('shows a pasted-vector error by the paste field and any other error above the form', () => {
    const pasteError = render({ version: '4.0', error: { message: 'That is a CVSS 3.1 vector.', field: 'vector' } });
    expect(text(element(pasteError, 'p', 'data-cvss-error-for="vector"'))).toBe('That is a CVSS 3.1 vector.');
    expect(pasteError).toMatch(/id="cvss40-paste"[^>]*aria-invalid="true"/);
    const other = render({ version: '4.0', error: { message: 'Choose CVSS 3.1 or CVSS 4.0.', field: 'version' } });
    expect(text(element(other, 'p', 'data-cvss-error="true"'))).toBe('Choose CVSS 3.1 or CVSS 4.0.');
  });
});
