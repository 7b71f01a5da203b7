import { useCallback, useRef, useState } from 'react';
import { apiKey, AuthenticationRequired, RequestFailed } from './graphql-client';

/**
 * Runs calls to the API; one the server refuses for want of a credential asks for an API key (askingForKey) and
 * runs again once it is given. Other failures go to onFailure in words for the status line.
 */
export function useApi(onFailure: (message: string) => void) {
  const [askingForKey, setAskingForKey] = useState<string | null>(null);
  // Bumped when a key is given unasked: what the page shows is loaded again with it.
  const [keyVersion, setKeyVersion] = useState(0);
  const retry = useRef<(() => Promise<void>) | null>(null);

  const run = useCallback(
    async (call: () => Promise<void>): Promise<void> => {
      try {
        await call();
      } catch (e) {
        if (e instanceof AuthenticationRequired) {
          retry.current = () => run(call);
          setAskingForKey(apiKey.get() ? `The server refused the API key: ${e.message}` : e.message);
        } else {
          onFailure(e instanceof RequestFailed ? e.message : `Unexpected failure: ${String(e)}`);
        }
      }
    },
    [onFailure],
  );

  const giveKey = useCallback((key: string) => {
    apiKey.set(key);
    setAskingForKey(null);
    const again = retry.current;
    retry.current = null;
    if (again) void again();
    else setKeyVersion((v) => v + 1);
  }, []);

  /** Asked for by the person (the header's button), not by a refusal: nothing to run again. */
  const askForKey = useCallback(() => {
    retry.current = null;
    setAskingForKey('Give the API key to send with every request to this server.');
  }, []);

  const cancel = useCallback(() => {
    retry.current = null;
    setAskingForKey(null);
  }, []);

  return { run, askingForKey, askForKey, giveKey, cancel, keyVersion };
}
