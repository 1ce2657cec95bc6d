package org.pica.host;

import android.app.Activity;
import android.content.Context;
import android.os.Bundle;
import android.telephony.TelephonyManager;

/** The host app's own code: one first-party call site, so that "app" attribution is scored too. */
public class MainActivity extends Activity {
    @Override
    protected void onCreate(Bundle state) {
        super.onCreate(state);
        TelephonyManager tm = (TelephonyManager) getSystemService(Context.TELEPHONY_SERVICE);
        setTitle(String.valueOf(tm.getDeviceId()));
    }
}
