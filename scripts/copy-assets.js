// Copies static assets next to the compiled code, where the server looks for them.
import fs from 'node:fs';

fs.cpSync('src/http/assets', 'dist/http/assets', { recursive: true });
