import { describe, expect, it } from 'vitest';
import { gradleLockfileParser } from '../../../src/domain/scan/lockfiles/gradle-lockfile.js';
import { comparable, readFixture, oracleCases } from './support/scalibr-oracle.js';

const FOLDER = 'java-gradlelockfile';

describe('gradle.lockfile against osv-scalibr java/gradlelockfile', () => {
  for (const c of oracleCases(FOLDER)) {
    it(c.name, () => {
      // No upstream case is an error: lines that are not coordinates are skipped.
      expect(c.wantErr).toBe(false);
      const got = gradleLockfileParser.parse(readFixture(FOLDER, c.file), 'gradle.lockfile');
      expect(got.every((p) => p.ecosystem === 'Maven')).toBe(true);
      const [want, actual] = comparable(c.want, got);
      expect(actual).toEqual(want);
    });
  }
});

describe('gradle.lockfile details', () => {
  it('reads CRLF lines and skips coordinates of the wrong shape', () => {
    const text = [
      '# comment',
      'com.google.guava:guava:31.1-jre=compileClasspath,runtimeClasspath',
      'com.example:no-version=compileClasspath',
      'com.example:a:b:c=compileClasspath',
      'com.example:no-configurations:1.0',
      'empty=annotationProcessor',
    ].join('\r\n');
    expect(gradleLockfileParser.parse(text, 'gradle.lockfile')).toEqual([
      { ecosystem: 'Maven', name: 'com.google.guava:guava', version: '31.1-jre', line: 2 },
    ]);
  });

  it('matches the lockfiles of Gradle 6+ and the per-configuration ones of older Gradle', () => {
    expect(gradleLockfileParser.matches('app/gradle.lockfile')).toBe(true);
    expect(gradleLockfileParser.matches('buildscript-gradle.lockfile')).toBe(true);
    expect(gradleLockfileParser.matches('app/gradle/dependency-locks/compileClasspath.lockfile')).toBe(true);
    expect(gradleLockfileParser.matches('app/other/compileClasspath.lockfile')).toBe(false);
    expect(gradleLockfileParser.matches('build.gradle')).toBe(false);
  });
});
