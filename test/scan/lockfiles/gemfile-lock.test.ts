import { describe, expect, it } from 'vitest';
import { gemfileLockParser } from '../../../src/domain/scan/lockfiles/gemfile-lock.js';
import { comparable, readFixture, oracleCases } from './support/scalibr-oracle.js';

const FOLDER = 'ruby-gemfilelock';

describe('Gemfile.lock against osv-scalibr ruby/gemfilelock', () => {
  for (const c of oracleCases(FOLDER)) {
    it(c.name, () => {
      // No upstream case is an error: Bundler's format is read line by line and unknown lines are skipped.
      expect(c.wantErr).toBe(false);
      const got = gemfileLockParser.parse(readFixture(FOLDER, c.file), 'Gemfile.lock');
      expect(got.every((p) => p.ecosystem === 'RubyGems')).toBe(true);
      const [want, actual] = comparable(c.want, got);
      expect(actual).toEqual(want);
    });
  }
});

describe('Gemfile.lock details', () => {
  it('drops the platform suffix and lists a gem built for several platforms once', () => {
    const text = [
      'GEM',
      '  remote: https://rubygems.org/',
      '  specs:',
      '    nokogiri (1.13.3-arm64-darwin)',
      '      racc (~> 1.4)',
      '    nokogiri (1.13.3-x86_64-linux)',
      '      racc (~> 1.4)',
      '    racc (1.6.0)',
      '    sorbet-static (0.5.10461-universal-darwin-22)',
      '',
      'PLATFORMS',
      '  arm64-darwin',
      '  x86_64-linux',
      '',
    ].join('\r\n');
    expect(gemfileLockParser.parse(text, 'Gemfile.lock')).toEqual([
      { ecosystem: 'RubyGems', name: 'nokogiri', version: '1.13.3', line: 4 },
      { ecosystem: 'RubyGems', name: 'racc', version: '1.6.0', line: 8 },
      { ecosystem: 'RubyGems', name: 'sorbet-static', version: '0.5.10461', line: 9 },
    ]);
  });

  it('ignores gems listed outside the specs of a source section', () => {
    const text = 'PLUGIN SOURCE\n  remote: x\n  specs:\n    plugin (1.0.0)\n\nDEPENDENCIES\n    rake (13.0.0)\n';
    expect(gemfileLockParser.parse(text, 'Gemfile.lock')).toEqual([]);
  });

  it('matches Gemfile.lock and gems.locked', () => {
    expect(gemfileLockParser.matches('app/Gemfile.lock')).toBe(true);
    expect(gemfileLockParser.matches('gems.locked')).toBe(true);
    expect(gemfileLockParser.matches('Gemfile')).toBe(false);
  });

  it('reads the lockfile of huginn (2020), Git and path gems included', () => {
    const text = readFixture('real-world/huginn@b278bd5d1b_2020-05-28', 'Gemfile.lock');
    const got = gemfileLockParser.parse(text, 'Gemfile.lock');
    // Every four-space spec line of the file, no platform duplicates among them.
    expect(got.length).toBe(250);
    expect(got.filter((p) => p.commit !== undefined).length).toBe(9);
    expect(got).toContainEqual({ ecosystem: 'RubyGems', name: 'rails', version: '6.0.3.1', line: 495 });
    expect(got).toContainEqual(expect.objectContaining({ name: 'nokogiri', version: '1.10.9' }));
    expect(got).toContainEqual({
      ecosystem: 'RubyGems',
      name: 'capybara-select-2',
      version: '0.3.2',
      commit: 'fbf22fb74dec10fa0edcd26da7c5184ba8fa2c76',
      line: 6,
    });
    expect(got).toContainEqual({ ecosystem: 'RubyGems', name: 'dotenv-rails', version: '2.0.1', line: 98 });
  });
});
