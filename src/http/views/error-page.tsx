export function ErrorPage({ status, code, message }: { status: number; code: string; message: string }) {
  return (
    <section class="error">
      <h1>{status === 404 ? 'Not found' : status >= 500 ? 'Something went wrong' : 'That did not work'}</h1>
      <p>{message}</p>
      <p class="muted">
        Error code: <code>{code}</code>
      </p>
    </section>
  );
}
